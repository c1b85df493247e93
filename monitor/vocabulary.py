"""Every Chinese string that drives portalwatch's behaviour, in one place.

Extraction (what is body, what is metadata), normalisation (what is furniture when two
captures are compared), removal detection (what a withdrawn-notice page says) and rendering
(what a field is called) all read these tuples. Two lists of the same kind of word drift
apart, and each drift is a false alert; so there is one list of each kind, here.

Everything is written in Simplified characters. Text is matched *after* folding it to
Simplified (:func:`storage.textfold.to_simplified`, one character to one, offsets kept), so
``來源``, ``責任編輯`` and ``【列印】【關閉】`` are recognised without a second, Traditional
list; the stored text stays as published.

Words are never removed on their own: the patterns built from these lists
(:mod:`monitor.extraction.furniture`) remove whole widgets — a bracketed group whose content is
only widget words, a label with its number, a line of nothing but buttons.
"""
from __future__ import annotations

# --- buttons and widgets ----------------------------------------------------------------
# Print / close / favourite / back-to-top / error-report buttons at the foot of TRS, Hanweb,
# NFCMS and gov.cn article pages, bracketed (【打印本页】【关闭窗口】, [打印] [关闭]) or not
# (打印本页 关闭窗口). 列印 is the word Traditional-script sites use for 打印.
BUTTON_WORDS = (
    "打印", "打印本页", "打印此页", "打印文章", "打印正文", "打印页面", "打印本文", "我要打印",
    "列印", "列印本页", "列印此页",
    "关闭", "关闭窗口", "关闭本页", "关闭页面", "关闭本窗口",
    "收藏", "加入收藏", "收藏本页", "保存", "保存本页", "下载本页",
    "返回", "返回顶部", "回到顶部", "顶部", "返回首页", "返回列表", "TOP",
    "纠错", "我要纠错", "分享", "分享到", "复制链接", "推荐给朋友", "发送给朋友",
    "字体", "字号", "大", "中", "小", "默认", "超大", "特大",
    "扫一扫", "二维码", "手机版", "繁体", "简体", "繁体版", "简体版", "无障碍", "长者模式",
)
# Button phrases distinctive enough to remove wherever they stand apart from other text
# (not glued to letters): gov.cn's "打印本页 关闭窗口" foot, share plugins' QR prompts.
STANDALONE_BUTTONS = (
    "打印本页", "打印此页", "列印本页", "关闭窗口", "关闭本页", "返回顶部", "回到顶部", "我要纠错", "我要打印",
    "加入收藏", "收藏本页",
    "扫一扫在手机打开当前页", "扫一扫在手机上打开当前页", "扫一扫在手机上查看当前页面",
    "扫一扫在手机打开当前页面", "用手机扫一扫", "手机扫一扫", "微信扫一扫", "手机扫描二维码",
    "用微信扫描二维码",
)
# Font-size switchers: 【字体：大 中 小】, 字号：默认 大 超大, 字号：T|T|T (Hanweb, TRS, NFCMS).
FONT_SIZE_LABELS = ("字体", "字号", "字体大小", "文字大小", "浏览字号", "文字")
FONT_SIZE_WORDS = ("超大", "特大", "较大", "默认", "标准", "大", "中", "小", "T")
# Share bars: 分享到：微信 微博 QQ空间 (gov.cn and provincial portal templates).
SHARE_LABELS = ("分享到", "分享至", "分享")
SHARE_TARGETS = (
    "微信朋友圈", "朋友圈", "微信", "新浪微博", "腾讯微博", "微博", "QQ空间", "QQ好友", "QQ", "人人网", "豆瓣",
    "复制链接", "钉钉", "今日头条",
)
# Visit counters in info bars (浏览次数：123, 访问量：4567, 阅读数). They change on every fetch.
# Long labels may show no number (filled in by JavaScript); short ones are also ordinary verbs
# and count only with a number. Prefixes: 总访问量, 本页浏览次数.
COUNTER_LABELS_LONG = (
    "浏览次数", "访问次数", "阅读次数", "点击次数", "浏览量", "访问量", "阅读量", "点击量", "阅读数", "点击数",
    "浏览数", "访问数", "浏览人次", "点击率", "访问人次",
)
COUNTER_LABELS_SHORT = ("阅读", "浏览", "点击", "访问", "阅")
COUNTER_PREFIXES = ("总", "本页", "本文", "今日")
# Header date widgets that leak into bodies: 今天是2024年3月5日 星期二.
TODAY_LABELS = ("今天是", "今日是", "今天")
WEEKDAY_WORDS = ("星期", "周", "礼拜")
# "You are reader no. 154" counters of forum and old news templates.
READER_NUMBER_WORDS = ("阅览者", "读者", "访问者", "浏览者")

# --- boxes and lines that are never the notice --------------------------------------------
# Headings of boxes of links to other notices (相关阅读 / 相关链接 ...): the box runs to its end.
RELATED_HEADINGS = (
    "相关阅读", "相关链接", "相关新闻", "相关文章", "相关报道", "相关稿件", "相关信息", "相关文件", "延伸阅读",
    "热点推荐", "推荐阅读", "热门推荐", "猜你喜欢", "热点新闻", "热门文章", "最新文章", "相关政策",
    "相关解读", "扩展阅读",
)
# Breadcrumb labels: 当前位置：首页 > 政务公开 > ...
BREADCRUMB_LABELS = ("当前位置", "所在位置", "您的位置", "您现在的位置", "您当前的位置", "您所在的位置", "位置")
HOME_WORD = "首页"
# Links to neighbouring notices.
PAGER_LABELS = ("上一篇", "下一篇", "上一条", "下一条")
# Copyright and reposting notices placed under a story: the body ends there.
DISCLAIMER_HEADINGS = ("反侵权公告", "版权声明", "免责声明", "郑重声明", "特别声明")
# Comment widgets under news posts.
COMMENT_WORD = "评论"

# --- metadata labels ----------------------------------------------------------------------
# field name -> labels printed before its value, on TRS (发布时间：… 来源：…), Hanweb
# (发布日期：… 信息来源：…), NFCMS (发表时间：…) info lines and the 政府信息公开 table
# (索引号 / 发布机关 / 发文字号 / 成文日期 / 发布日期). "other" labels are read but not kept:
# they end the value of the label before them.
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "published": ("发布时间", "发布日期", "发表时间", "发表日期", "发稿时间", "发文时间", "公开日期", "公布日期",
                  "更新时间", "更新日期", "印发日期", "时间", "日期"),
    "written": ("成文日期", "成文时间", "发文日期"),
    "source": ("信息来源", "文章来源", "新闻来源", "稿件来源", "内容来源", "消息来源", "来源单位", "稿源", "来源", "出处"),
    "editor": ("责任编辑", "网络编辑", "值班编辑", "本文编辑", "责编", "编辑"),
    "author": ("作者", "撰稿", "记者", "撰文", "通讯员"),
    "doc_number": ("发文字号", "发文文号", "文号", "字号"),
    "index_number": ("索引号",),
    "issuer": ("发布机关", "发文机关", "发布机构", "发布单位", "发文单位", "制发机关", "发文机构"),
    "other": ("主题分类", "主题词", "分类", "体裁分类", "组配分类", "服务对象", "有效性", "生效日期", "废止日期",
              "名称", "标题", "字体", "字号", "审核", "校对", "摄影", "供稿", "初审", "复审", "终审", "审核人",
              "签发", "编审", "所属机构", "公开方式", "公开范围", "信息分类", "关键词", "统一编号", "登记号",
              "效力状态") + COUNTER_LABELS_LONG,
}
# Values that name this very website rather than a source (本网 = "this site").
NOT_A_SOURCE = ("本网", "本站", "原创", "本网站", "网站")

# --- attachments --------------------------------------------------------------------------
# Extensions of documents portals attach to notices (ofd: China's fixed-layout format,
# wps/et: Kingsoft Office). Links to them are attachments, never pages to crawl.
ATTACHMENT_EXTENSIONS = ("pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "ofd", "zip", "rar", "7z", "ppt",
                         "pptx", "txt", "csv")
ATTACHMENT_WORD = "附件"

# --- withdrawn notices --------------------------------------------------------------------
# What stub pages of withdrawn notices say, on TRS ("该信息已删除"), Hanweb ("信息已撤销",
# "该文章已被删除") and generic CMSs ("页面不存在", "您访问的页面不存在"). Matched as phrases
# in a short main area; :data:`GONE_WORDS` and :data:`GONE_OBJECTS` catch wordings not listed.
SOFT_404_MESSAGES = (
    "该信息已删除", "信息已删除", "该信息已撤销", "信息已撤销", "该文章已被删除", "文章已删除", "该页面已删除",
    "页面不存在", "您访问的页面不存在", "您访问的页面已删除", "页面未找到", "找不到该页面", "信息不存在",
    "该信息不存在", "内容已下线", "已被撤回", "页面已失效", "信息已失效", "文章不存在", "内容不存在",
    "404 Not Found", "Not Found", "访问的页面不存在", "无法找到该页", "页面找不到了",
)
# A short sentence naming a page/notice (object) and saying it is gone (state) is a removal
# message in any wording: 抱歉，您要查看的信息不存在或已被删除.
GONE_OBJECTS = ("信息", "页面", "网页", "文章", "内容", "稿件", "文件", "新闻", "链接", "资源")
GONE_WORDS = ("不存在", "删除", "撤销", "撤回", "撤下", "撤稿", "下线", "下架", "失效", "过期", "找不到", "未找到",
              "无法访问", "无法找到", "移除")

# --- what users read ----------------------------------------------------------------------
# Chinese names of version fields, as article templates print them; "text" is the body.
FIELD_NAMES = {
    "text": "正文",
    "title": "标题",
    "published": "发布时间",
    "source": "来源",
    "editor": "责任编辑",
    "author": "作者",
    "doc_number": "文号",
    "index_number": "索引号",
    "issuer": "发布机关",
    "attachments": "附件",
}
# Chinese names of change kinds, for alert and feed titles (【修改】关于…的通知).
KIND_NAMES = {
    "edited": "修改",
    "removed": "删除",
    "new": "新增",
    "restored": "恢复",
    "unreachable": "无法访问",
    "delisted": "撤下栏目",
    "batch": "批量变化",
}
