"""What each sample site is: its columns, numbering and the words its notices use.

Kept apart from the page templates so the notice generator and the renderers agree on the
same facts (which column a notice sits in, its document id) without importing each other.
"""
from __future__ import annotations

from dataclasses import dataclass

SITES = ("hunan", "zhejiang", "govcn")


@dataclass(frozen=True, slots=True)
class Column:
    """One list of notices on a site (a 栏目)."""

    key: str  # path segment: "zwdt", "col1229001", "zuixin"
    name: str  # what the breadcrumb and nav call it
    kind: str  # "notice" (a document with issuer/文号) or "news" (a report)


@dataclass(frozen=True, slots=True)
class SiteProfile:
    key: str
    portal_name: str
    columns: tuple[Column, ...]
    docid_base: int  # document ids are docid_base + notice index
    doc_prefix: str  # 发文字号 prefix, e.g. 湘政办发
    government: str  # who approves a notice: 经{government}同意
    areas: tuple[str, ...]
    levels: tuple[str, ...]  # who a notice is addressed to: 各{level}：
    phone_prefix: str
    index_prefix: str  # 索引号 organisation code
    encoding: str

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def column_for(self, kind: str) -> Column:
        return next((c for c in self.columns if c.kind == kind), self.columns[0])


PROFILES: dict[str, SiteProfile] = {
    "hunan": SiteProfile(
        key="hunan",
        portal_name="湖南省人民政府门户网站",
        columns=(Column("zwdt", "政务动态", "news"), Column("tzgg", "通知公告", "notice")),
        docid_base=29_100_000,
        doc_prefix="湘政办发",
        government="省人民政府",
        areas=("全省", "各市州", "长株潭地区", "湘南三市", "洞庭湖区", "全省农村地区"),
        levels=("市州人民政府", "县市区人民政府", "省直有关单位"),
        phone_prefix="0731-8",
        index_prefix="000014349",
        encoding="utf-8",
    ),
    "zhejiang": SiteProfile(
        key="zhejiang",
        portal_name="浙江省人民政府门户网站",
        columns=(Column("col1229001", "政策文件", "notice"), Column("col1229019", "政务动态", "news")),
        docid_base=5_900_000,
        doc_prefix="浙政办发",
        government="省政府",
        areas=("全省", "各设区市", "山区26县", "杭州都市圈", "全省海岛县", "全省农村地区"),
        levels=("市、县（市、区）人民政府", "设区市人民政府", "省级有关单位"),
        phone_prefix="0571-8",
        index_prefix="002482070",
        encoding="gbk",
    ),
    "govcn": SiteProfile(
        key="govcn",
        portal_name="中国政府网",
        columns=(Column("zuixin", "最新政策", "notice"),),
        docid_base=6_930_000,
        doc_prefix="国办发",
        government="国务院",
        areas=("全国", "各地区", "中西部地区", "东北地区", "全国农村地区", "各省份"),
        levels=("省、自治区、直辖市人民政府", "有关部门", "地方人民政府"),
        phone_prefix="010-6",
        index_prefix="000014349",
        encoding="utf-8",
    ),
}
