"""The tag taxonomy: the capabilities an expert can claim, across the marketing stages."""

from django.db import migrations

TAGS = [
    ("brand-strategy", "品牌策略与定位", "Brand strategy & positioning", "strategy",
     "梳理用户、竞品与差异化,写出一句话定位和品牌屋,让所有传播说同一件事。",
     "Audience, competitors and the difference you own, written down as a one-line "
     "positioning and a brand house so every message says the same thing."),
    ("naming", "品牌命名", "Naming", "strategy",
     "为公司、产品或活动起名:创意方向、语义与谐音检查、商标与域名初筛。",
     "Names for a company, product or campaign: creative routes, meaning and sound checks, "
     "a first trademark and domain screen."),
    ("crisis-pr", "危机公关", "Crisis PR", "strategy",
     "舆情出现时的快速判断、回应口径、声明撰写与媒体沟通,帮助品牌稳住信任。",
     "When something goes wrong in public: fast assessment, the line to take, statements "
     "and media handling that keep trust."),
    ("pitch-story", "融资路演故事", "Pitch deck storytelling", "strategy",
     "把商业计划讲成投资人愿意听完的故事:结构、关键数字与路演稿。",
     "Turn the business plan into a story investors listen to: structure, key numbers and "
     "the pitch script."),
    ("visual-identity", "视觉识别设计", "Visual identity", "identity",
     "Logo、标准色、字体与视觉规范(VI),让品牌在每个触点都一眼可认。",
     "Logo, colours, type and a visual identity guide, so the brand is recognisable at "
     "every touchpoint."),
    ("web-landing", "官网与落地页", "Website & landing pages", "identity",
     "官网或活动落地页的信息结构、文案与设计,关注转化与加载速度。",
     "Structure, copy and design of a website or campaign landing page, built to convert "
     "and load fast."),
    ("copywriting", "文案策划", "Copywriting", "content",
     "Slogan、产品介绍、海报与广告文案,用用户的语言说清楚你的价值。",
     "Slogans, product copy, posters and ads that state your value in your users' words."),
    ("content-marketing", "内容营销", "Content marketing", "content",
     "长期内容规划与深度文章、白皮书、案例,持续积累品牌影响力与搜索流量。",
     "A content plan with in-depth articles, white papers and case studies that build "
     "authority and search traffic over time."),
    ("video-production", "视频策划与制作", "Video production", "content",
     "品牌片、产品演示与短视频的创意、拍摄与剪辑,适配抖音、视频号等平台。",
     "Concept, shooting and editing of brand films, product demos and short videos for "
     "Douyin, WeChat Channels and the like."),
    ("photography", "商业摄影", "Photography", "content",
     "产品、团队与活动摄影,为官网、媒体稿和社交平台提供高质量图片。",
     "Product, team and event photography for the website, press and social channels."),
    ("pr-media", "公关与媒体关系", "PR & media relations", "channels",
     "新闻稿撰写、媒体邀约与采访安排,让科技与财经媒体报道你的融资和新品。",
     "Press releases, media outreach and interviews, so tech and business media cover your "
     "funding and launches."),
    ("wechat-ops", "微信公众号运营", "WeChat official account", "channels",
     "公众号定位、选题、排版与推送节奏,提升打开率与关注转化。",
     "Positioning, topics, layout and cadence of a WeChat official account, to lift opens "
     "and follows."),
    ("weibo-ops", "微博运营", "Weibo operation", "channels",
     "微博话题策划、日常更新与互动,借热点扩大品牌声量。",
     "Topics, daily posts and engagement on Weibo, riding trends to grow the brand's voice."),
    ("xiaohongshu-ops", "小红书运营", "Xiaohongshu operation", "channels",
     "小红书账号与笔记策划、种草内容与达人铺量,适合消费品牌。",
     "Account and note planning, seeding content and creator roll-outs on Xiaohongshu, for "
     "consumer brands."),
    ("kol-cooperation", "KOL 合作", "KOL cooperation", "channels",
     "筛选与品牌契合的 KOL/KOC,谈合作、定 brief、跟进效果。",
     "Find KOLs and KOCs that fit the brand, negotiate, brief them and track the results."),
    ("event-planning", "活动策划", "Event planning", "channels",
     "发布会、沙龙、快闪与线上活动的策划执行,从邀约到现场到复盘。",
     "Launches, meetups, pop-ups and online events, from invitations to the day itself to "
     "the review."),
    ("community-ops", "社群运营", "Community operation", "growth",
     "种子用户招募、微信群与社区的规则、活动和激励,培养愿意帮你说话的用户。",
     "Recruit seed users and run WeChat groups and communities with rules, activities and "
     "rewards, growing users who speak for you."),
    ("growth-ads", "增长与广告投放", "Growth & paid ads", "growth",
     "信息流、搜索与社交广告的投放策略、素材测试与数据复盘,控制获客成本。",
     "Feed, search and social ads: strategy, creative testing and data reviews that keep "
     "acquisition cost in check."),
]


def load_tags(apps, schema_editor):
    Tag = apps.get_model("experts", "Tag")
    for position, (slug, name, name_en, stage, description, description_en) in enumerate(
        TAGS, start=1
    ):
        Tag.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "name_en": name_en,
                "stage": stage,
                "description": description,
                "description_en": description_en,
                "position": position * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("experts", "0001_initial")]

    operations = [migrations.RunPython(load_tags, migrations.RunPython.noop)]
