"""Page furniture of Chinese portals: the strings that mark text which is not the notice.

Each constant notes where the strings come from. They drive both the DOM pruning
(:mod:`monitor.extraction.dom`) and the line filter applied to every extracted body
(:mod:`monitor.extraction.clean`), so one list serves every extraction path.
"""
from __future__ import annotations

import re

# Tags whose content a reader never sees as article text.
INVISIBLE_TAGS = (
    "script", "style", "noscript", "iframe", "object", "embed", "select", "option",
    "button", "textarea", "input", "template", "svg", "canvas", "map",
)

# Font-size switchers: 【字体：大 中 小】, 字号：[大 中 小], 浏览字号 (TRS, Hanweb, NFCMS templates).
FONT_SIZE = re.compile(r"[【\[]?\s*(?:字体|字号|浏览字号|文字)\s*[:：]?\s*[【\[]?\s*大\s*[】\]]?\s*[【\[]?\s*中\s*[】\]]?\s*[【\[]?\s*小\s*[】\]]?")
# Print / close / favourite buttons at the foot of TRS and Hanweb article pages.
BUTTON_WORDS = (
    "打印本页", "关闭窗口", "打印此页", "关闭本页", "【打印】", "【关闭】", "[打印]", "[关闭]",
    "【打印本页】", "【关闭窗口】", "【收藏】", "[收藏]", "【纠错】", "加入收藏", "返回顶部", "【返回顶部】",
    "打印正文", "【我要打印】", "【我要纠错】", "【保存】",
)
# Share widgets (分享到 微信/微博), QR codes (扫一扫), added by share plugins on most portals.
SHARE_WORDS = ("分享到", "扫一扫", "微信扫一扫", "分享至", "手机扫描二维码", "用微信扫描二维码")
# Captions of page-navigation buttons that templates write one character per line
# (返回 / 下一版 / 回到顶部 on e-paper and old news templates).
VERTICAL_BUTTON = re.compile(r"^(?:返回|回到|上一|下一|顶部|打印|关闭|收藏|分享|首页|目录|版|页|篇)+$")
# Visit counters; they change on every fetch, so they must never reach the body.
COUNTER = re.compile(r"(?:浏览次数|浏览量|访问量|阅读数|阅读量|点击数|点击量|访问次数|浏览人次|点击率)\s*[:：]?\s*[\d\-]*")
# Widgets that follow the last metadata value on an info line, often with no space
# between (来源：新华社浏览次数：12, 来源：新华社 分享到：): a value ends where one starts.
WIDGET_START = re.compile(r"(?:浏览次数|浏览量|访问量|阅读数|阅读量|阅读次数|点击数|点击量|访问次数|浏览人次|点击率"
                          r"|字体\s*[:：大]|字号\s*[:：大]|我要打印|打印本页|打印|分享到|分享至|扫一扫|加入收藏|收藏本页|关闭窗口)")
# "You are reader no. 154" counters on forum and old news templates.
READER_NUMBER = re.compile(r"您?是本[文帖页]第\s*\d+\s*[个位名](?:阅览者|读者|访问者|浏览者)")
# Comment widgets under blog and news posts: the body ends where they start (发表评论,
# 共 3 篇评论, "# re:" replies of .Text blogs, 网友评论).
COMMENT_START = re.compile(
    r"^(?:网友|读者|最新|热门|全部|精彩)?评论(?:\s*[（(]\s*\d+\s*[)）])?\s*[:：]?$"
    r"|(?:发表|我要|查看|所有|全部|网友)评论"
    r"|共\s*\d+\s*[篇条个件]评论"
    r"|已有\s*\d+\s*[人条位件篇](?:参与)?评论"
    r"|^#\s*re\s*[:：]"
    # Copyright and reposting notices placed under the story: the body ends there too.
    r"|^[【\[]?(?:反侵权公告|版权声明|免责声明|郑重声明|特别声明)[】\]]?\s*[:：]?"
)
# Boxes of links to other notices placed after the body (相关阅读 / 相关链接 ...).
RELATED_HEADINGS = ("相关阅读", "相关链接", "相关新闻", "相关文章", "相关报道", "相关稿件", "延伸阅读", "热点推荐", "推荐阅读", "热门推荐", "猜你喜欢")
# Breadcrumbs: 当前位置：首页 > 政务公开 > ...
BREADCRUMB = re.compile(r"^(?:您?(?:当前|现在)?(?:所在)?的?位置|当前位置|所在位置)\s*[:：]")
BREADCRUMB_TRAIL = re.compile(r"^首页\s*(?:[>»>›/]|&gt;)")
# "上一篇 / 下一篇" navigation to neighbouring notices.
PAGER = re.compile(r"^(?:上一篇|下一篇|上一条|下一条)\s*[:：]?")
# Site footers: ICP licence numbers (ICP备), copyright and reporting lines that every
# mainland site must show; they are never part of a notice.
FOOTER = re.compile(
    r"ICP备|ICP证|版权所有|All Rights Reserved|Copyright\s*(?:©|\(c\)|\d)|©\s*\d{4}|许可证编号|举报电话|举报邮箱"
    r"|网站标识码|公网安备|主办单位[:：]|承办单位[:：]|技术支持[:：]|建议使用.{0,20}浏览器"
    r"|禁止(?:商业)?转载|转载申请|未经(?:书面)?(?:许可|授权)[，,]?不得(?:转载|复制)",
    re.IGNORECASE,
)
