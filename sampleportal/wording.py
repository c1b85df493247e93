"""Word lists the notice generator draws from.

All of it is invented for the sample portal: topics, sentences and names describe fictional
work plans in the register of provincial government notices, so tests and demos get text that
looks and measures like the real thing without reproducing any real notice.
"""
from __future__ import annotations

# (topic, what is counted, unit, what a project is called) — the numbers attached to each topic
# are drawn at random, so every notice carries figures an edit can change.
TOPICS: tuple[tuple[str, str, str, str], ...] = (
    ("安全生产", "排查整治一般隐患", "处", "重点企业"),
    ("防汛抗旱", "加固病险水库", "座", "山洪灾害防治项目"),
    ("森林防火", "清理林区可燃物", "公顷", "防火隔离带工程"),
    ("冬春农田水利建设", "新建改造灌溉渠道", "公里", "小型水利工程"),
    ("粮食生产", "落实粮食播种面积", "万亩", "高产示范片"),
    ("城镇老旧小区改造", "开工改造老旧小区", "个", "配套设施项目"),
    ("义务教育招生入学", "新增公办学位", "个", "中小学校建设项目"),
    ("就业创业", "新增城镇就业", "万人", "创业孵化基地"),
    ("农村人居环境整治", "改造农村户用厕所", "万户", "美丽乡村示范村"),
    ("大气污染防治", "淘汰老旧柴油货车", "辆", "重点减排工程"),
    ("优化营商环境", "压减涉企审批事项", "项", "营商环境改革试点"),
    ("政务服务", "实现全程网办事项", "项", "一件事集成服务"),
    ("高标准农田建设", "新建高标准农田", "万亩", "农田建设项目"),
    ("食品安全", "开展食品抽检", "批次", "放心市场创建点"),
    ("燃气安全专项整治", "更换老化燃气管道", "公里", "管网改造项目"),
    ("电动自行车安全隐患治理", "新建集中充电设施", "处", "充电设施建设项目"),
    ("消费品以旧换新", "发放换新补贴", "万元", "家电换新网点"),
    ("医疗保障", "新增定点医药机构", "家", "医保服务示范点"),
    ("养老服务体系建设", "新增养老床位", "张", "社区嵌入式养老服务中心"),
    ("文物安全", "开展文物巡查", "次", "文物保护单位"),
)

AREAS = ("全省", "各市州", "长株潭地区", "湘南三市", "各县市区", "全省农村地区")
UPPER = ("党中央、国务院", "省委、省政府", "国务院办公厅")

# (issuer, short source line) for notices and news items
ISSUERS: tuple[tuple[str, str], ...] = (
    ("省人民政府办公厅", "省政府办公厅"),
    ("省应急管理厅", "省应急管理厅"),
    ("省发展和改革委员会", "省发展改革委"),
    ("省住房和城乡建设厅", "省住房城乡建设厅"),
    ("省农业农村厅", "省农业农村厅"),
    ("省教育厅", "省教育厅"),
    ("省人力资源和社会保障厅", "省人力资源社会保障厅"),
    ("省生态环境厅", "省生态环境厅"),
    ("省市场监督管理局", "省市场监管局"),
    ("省水利厅", "省水利厅"),
)
NEWS_SOURCES = ("新华社", "人民日报", "省政府新闻办", "湖南日报", "浙江日报", "本网")

SURNAMES = "王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林"
GIVEN = ("晓明", "思远", "海燕", "建国", "丽华", "文静", "志强", "雨婷", "国庆", "佳怡", "立新", "秀英", "晨阳")

TITLE_FORMS = (
    "关于做好{year}年{topic}工作的通知",
    "关于印发《{year}年{topic}工作要点》的通知",
    "关于深入开展{topic}工作的通知",
    "关于进一步加强{topic}工作的实施意见",
    "关于{year}年{season}{topic}工作情况的通报",
    "关于公布{year}年度{topic}{project}名单的公告",
)
NEWS_TITLE_FORMS = (
    "{source_org}召开{year}年{topic}工作推进会",
    "{area}{topic}工作取得阶段性成效",
    "{source_org}部署{season}{topic}重点任务",
    "前{month}个月{area}{topic}稳步推进",
)
SEASONS = ("春季", "夏季", "秋冬季", "汛期", "岁末年初")

SECTION_HEADINGS = (
    "一、提高思想认识，压实工作责任",
    "二、突出工作重点，抓好任务落实",
    "三、加强统筹调度，强化督促检查",
    "四、加强宣传引导，营造良好氛围",
)

INTRO = "为深入贯彻落实{upper}关于{topic}工作的决策部署，切实做好{year}年{topic}各项工作，经{gov}同意，现就有关事项通知如下。"
FACT_SENTENCES = (
    "截至{m}月{d}日，{area}累计{measure}{n}{unit}，完成年度目标任务的{p}%。",
    "各地要在{m2}月底前完成{project}摸底建档，{measure}数量不少于{n2}{unit}。",
    "{year}年{area}计划安排专项资金{money}亿元，重点支持{count}个{project}。",
    "去年以来，{area}共督办重点问题{count}个，问题整改销号率达到{p2}%。",
)
DUTY_SENTENCES = (
    "各地要建立健全{topic}工作台账，实行清单化管理、项目化推进，确保各项任务按时保质完成。",
    "对工作推进不力、问题整改不到位的，将按规定予以通报，并约谈有关负责同志。",
    "要充分发挥12345政务服务便民热线作用，及时回应群众关切，依法依规处理群众反映的问题。",
    "各牵头单位要加强协同配合，每月{d}日前报送上月工作进展，重大情况随时报告。",
    "要加强基层一线人员业务培训，全年组织专题培训不少于{count}期，切实提升履职能力。",
    "要加大政策宣传解读力度，通过政府网站、政务新媒体等渠道发布权威信息，营造良好社会氛围。",
)
CLOSING = "请各{level}于{year}年{m}月{d}日前将工作开展情况书面报送{issuer}，电子版同时报送。"
CONTACT = "联系人：{name}，联系电话：{phone}。"

NEWS_OPENING = "{m}月{d}日，{source_org}召开{year}年{topic}工作推进会，总结前期工作，部署下一阶段重点任务。{leader}出席会议并讲话。"
NEWS_SENTENCES = (
    "会议指出，今年以来，{area}{topic}工作取得积极进展，累计{measure}{n}{unit}，同比增长{p2}%。",
    "会议强调，要坚持问题导向，聚焦薄弱环节，以钉钉子精神抓好各项任务落实。",
    "会上，{count}个市州作了交流发言，介绍了推进{project}的经验做法。",
    "据介绍，{area}已建成{project}{n2}个，带动相关投资{money}亿元。",
    "下一步，{source_org}将会同有关部门加强跟踪调度，确保全年目标任务圆满完成。",
)

# Sentences an edit swaps in: what a real correction of a published notice tends to look like.
REVISED_SENTENCES = (
    "经研究，报送截止时间顺延至{m}月{d}日，请各地据此调整工作安排。",
    "各地要结合实际细化工作措施，确保各项任务在{m}月底前全部落实到位。",
    "对已完成整改的问题，要组织开展“回头看”，严防问题反弹回潮。",
    "联系电话调整为{phone}，原联系电话停止使用。",
)

RELATED_LINKS = (
    "省政府常务会议研究部署近期重点工作",
    "全省春季农业生产工作会议召开",
    "政府工作报告重点任务分工方案",
    "一图读懂：惠企政策清单",
    "政务服务“好差评”工作情况通报",
    "全省重点项目建设推进情况",
    "城乡居民基本医疗保险参保缴费提醒",
    "住房公积金缴存基数调整说明",
    "全省森林防火期安全提示",
    "法治政府建设年度报告",
    "优化营商环境条例解读",
    "政府信息公开工作年度报告",
)
