"""Demo catalog for ``make run``: the services of the demo city (Shanghai), priced in fen.

Idempotent: every service has a fixed id (``svc_<slug>``), and one that already exists is left
as it is (an admin may have edited or retired it), so re-seeding adds only what is missing.
The specs go through the same request schema and use case as ``POST /v1/admin/services``, so
the demo data obeys the rules the API enforces, and each creation is in the audit log under
the seed's own actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.catalog.categories import Occupancy, PriceUnit
from chalicelib.catalog.services import Actor, create_service, get_service, update_service
from chalicelib.errors import Conflict, NotFound
from chalicelib.schemas.catalog import ServiceIn

__all__ = ["SEED_ACTOR", "ServiceSpec", "catalog_specs", "seed_catalog"]

SEED_ACTOR = Actor(user_id="system:seed", role="system")

Text = tuple[str, str]  # (zh-CN, en)


@dataclass(frozen=True)
class ServiceSpec:
    """One demo service; ``service_id`` derives from ``slug`` so a re-run finds it."""

    slug: str
    category: str
    sub_type: str | None
    name: Text
    description: Text
    includes: tuple[Text, ...]
    price_min: int
    price_max: int
    price_unit: PriceUnit
    duration_minutes: int
    occupancy: Occupancy = "visit"

    @property
    def service_id(self) -> str:
        return f"svc_{self.slug}"

    def request(self) -> dict[str, Any]:
        """The spec as ``POST /v1/admin/services`` takes it, validated by the same schema."""

        def text(pair: Text) -> dict[str, str]:
            return {"zh-CN": pair[0], "en": pair[1]}

        body = ServiceIn.model_validate(
            {
                "category": self.category,
                "sub_type": self.sub_type,
                "name": text(self.name),
                "description": text(self.description),
                "includes": [text(line) for line in self.includes],
                "price_min": self.price_min,
                "price_max": self.price_max,
                "price_unit": self.price_unit,
                "duration_minutes": self.duration_minutes,
                "occupancy": self.occupancy,
            }
        )
        return body.model_dump(mode="json", by_alias=True)


_MATERIALS = ("材料费另计，按实际用料结算", "Parts are charged separately at cost")
_DOOR_FEE = ("含上门费与检测", "Call-out and diagnosis included")


def catalog_specs() -> list[ServiceSpec]:
    """The demo catalog: Shanghai market prices, in fen."""
    return [
        # -- cleaning --------------------------------------------------------------------------
        ServiceSpec(
            "cleaning_routine_2h",
            "cleaning",
            "routine",
            ("日常保洁 2 小时", "Routine cleaning, 2 hours"),
            ("适合一室户或小两室的日常打扫", "Everyday cleaning for a studio or small two-bedroom flat"),
            (
                ("客厅卧室除尘、拖地", "Dusting and mopping"),
                ("厨房台面与卫生间清洁", "Kitchen tops and bathroom"),
            ),
            10_000,
            13_000,
            "per_visit",
            120,
        ),
        ServiceSpec(
            "cleaning_routine_3h",
            "cleaning",
            "routine",
            ("日常保洁 3 小时", "Routine cleaning, 3 hours"),
            ("两室一厅的日常打扫，最受欢迎", "Everyday cleaning for a two-bedroom flat, our most booked"),
            (
                ("全屋除尘、吸尘、拖地", "Dusting, vacuuming and mopping throughout"),
                ("厨房台面、灶台外表面", "Kitchen tops and hob surfaces"),
                ("卫生间洁具清洁消毒", "Bathroom fittings cleaned and disinfected"),
                ("整理床铺、倒垃圾", "Beds made, rubbish out"),
            ),
            15_000,
            19_000,
            "per_visit",
            180,
        ),
        ServiceSpec(
            "cleaning_routine_4h",
            "cleaning",
            "routine",
            ("日常保洁 4 小时", "Routine cleaning, 4 hours"),
            ("三室及以上户型的日常打扫", "Everyday cleaning for three bedrooms or more"),
            (
                ("全屋除尘、吸尘、拖地", "Dusting, vacuuming and mopping throughout"),
                ("厨房与两个卫生间清洁", "Kitchen and two bathrooms"),
            ),
            19_000,
            24_000,
            "per_visit",
            240,
        ),
        ServiceSpec(
            "cleaning_hourly",
            "cleaning",
            "routine",
            ("钟点工（按小时）", "Hourly cleaner"),
            ("按需灵活安排，2 小时起订", "Flexible help around the house, 2-hour minimum"),
            (("家务清洁、整理收纳", "Cleaning and tidying"),),
            4_500,
            5_500,
            "per_hour",
            120,
        ),
        ServiceSpec(
            "cleaning_deep_kitchen",
            "cleaning",
            "deep",
            ("厨房深度保洁", "Deep kitchen clean"),
            ("重油污厨房的彻底清洁", "A thorough clean of a greasy kitchen"),
            (
                ("油烟机拆洗", "Range hood taken apart and degreased"),
                ("灶台、橱柜内外清洁", "Hob and cabinets inside and out"),
                ("墙面瓷砖去油污", "Tiles degreased"),
            ),
            29_900,
            39_900,
            "per_visit",
            240,
        ),
        ServiceSpec(
            "cleaning_deep_bathroom",
            "cleaning",
            "deep",
            ("卫生间深度保洁", "Deep bathroom clean"),
            ("除水垢、除霉、消毒", "Limescale, mould and disinfection"),
            (
                ("玻璃隔断除水垢", "Shower screen descaled"),
                ("瓷砖缝除霉", "Grout de-moulded"),
                ("洁具消毒", "Fittings disinfected"),
            ),
            19_900,
            25_900,
            "per_visit",
            180,
        ),
        ServiceSpec(
            "cleaning_deep_home_90",
            "cleaning",
            "deep",
            ("全屋深度保洁（90㎡以内）", "Whole-home deep clean (up to 90 m²)"),
            ("两人上门，全屋死角清洁", "Two cleaners, every corner of the home"),
            (
                ("厨房、卫生间深度清洁", "Deep clean of kitchen and bathroom"),
                ("门窗、踢脚线、柜内清洁", "Doors, windows, skirting and cupboards"),
                ("家具表面除尘保养", "Furniture dusted and cared for"),
            ),
            69_900,
            89_900,
            "per_visit",
            480,
        ),
        ServiceSpec(
            "cleaning_windows",
            "cleaning",
            "deep",
            ("擦玻璃", "Window cleaning"),
            (
                "室内外玻璃与窗框清洁（高层外侧不含）",
                "Glass and frames inside and out (not high-rise exteriors)",
            ),
            (("玻璃、窗框、窗槽", "Glass, frames and tracks"), ("纱窗拆洗", "Fly screens washed")),
            19_900,
            29_900,
            "per_visit",
            180,
        ),
        ServiceSpec(
            "cleaning_post_renovation_90",
            "cleaning",
            "post_renovation",
            ("开荒保洁（90㎡以内）", "Post-renovation clean (up to 90 m²)"),
            ("装修后首次入住前的全面清洁", "The full clean before moving into a renovated home"),
            (
                ("去除胶渍、漆点、水泥点", "Glue, paint and cement spots removed"),
                ("门窗、柜体、灯具清洁", "Doors, windows, cabinets and lights"),
                ("全屋地面清洁", "All floors cleaned"),
            ),
            99_900,
            129_900,
            "per_visit",
            480,
        ),
        ServiceSpec(
            "cleaning_post_renovation_140",
            "cleaning",
            "post_renovation",
            ("开荒保洁（90–140㎡）", "Post-renovation clean (90-140 m²)"),
            ("三人上门，大户型装修后清洁", "Three cleaners for a larger renovated home"),
            (
                ("去除胶渍、漆点、水泥点", "Glue, paint and cement spots removed"),
                ("门窗、柜体、灯具清洁", "Doors, windows, cabinets and lights"),
            ),
            139_900,
            179_900,
            "per_visit",
            600,
        ),
        # -- nanny -----------------------------------------------------------------------------
        ServiceSpec(
            "nanny_live_in",
            "nanny",
            "live_in",
            ("住家保姆", "Live-in nanny"),
            (
                "住在雇主家，负责做饭与家务，每月休 4 天",
                "Lives in, cooks and keeps house, 4 days off a month",
            ),
            (
                ("一日三餐", "Three meals a day"),
                ("全屋日常清洁", "Daily cleaning"),
                ("衣物洗涤熨烫", "Laundry and ironing"),
            ),
            700_000,
            950_000,
            "per_month",
            720,
            occupancy="live_in",
        ),
        ServiceSpec(
            "nanny_live_in_children",
            "nanny",
            "live_in",
            ("住家保姆（带孩子）", "Live-in nanny with childcare"),
            ("做饭家务之外照看 3 岁以上儿童", "Housekeeping plus care of children aged 3 and up"),
            (
                ("一日三餐与家务", "Meals and housework"),
                ("接送上下学", "School runs"),
                ("陪伴与辅导作息", "Company and routines"),
            ),
            850_000,
            1_100_000,
            "per_month",
            720,
            occupancy="live_in",
        ),
        ServiceSpec(
            "nanny_day",
            "nanny",
            "day",
            ("白班保姆（8 小时）", "Day nanny, 8 hours"),
            ("每天 8 小时，不住家，每周做六休一", "8 hours a day, not live-in, six days a week"),
            (("做饭与家务", "Cooking and housework"), ("买菜", "Grocery shopping")),
            550_000,
            700_000,
            "per_month",
            480,
        ),
        ServiceSpec(
            "nanny_day_cooking",
            "nanny",
            "day",
            ("做饭保姆（每日 4 小时）", "Cooking nanny, 4 hours a day"),
            ("午餐晚餐两顿，可按口味定制", "Lunch and dinner, cooked to your taste"),
            (("买菜做饭", "Shopping and cooking"), ("厨房收拾", "Kitchen cleared up")),
            300_000,
            400_000,
            "per_month",
            240,
        ),
        ServiceSpec(
            "nanny_day_daily",
            "nanny",
            "day",
            ("白班保姆（按天）", "Day nanny by the day"),
            ("临时请一天保姆，节假日、家宴适用", "A nanny for a single day: holidays, family dinners"),
            (("做饭与家务", "Cooking and housework"),),
            28_000,
            35_000,
            "per_day",
            480,
        ),
        # -- maternity nurse (月嫂, 26-day terms) ---------------------------------------------
        ServiceSpec(
            "maternity_three_star",
            "maternity_nurse",
            None,
            ("月嫂（三星）", "Maternity nurse, 3-star"),
            (
                "持证月嫂，住家 24 小时母婴护理，26 天一单",
                "Certified, live-in 24-hour care for mother and baby, 26-day term",
            ),
            (
                ("新生儿喂养、洗澡、抚触", "Newborn feeding, bathing and massage"),
                ("产妇月子餐", "Postpartum meals for the mother"),
                ("产后护理指导", "Postpartum recovery guidance"),
            ),
            980_000,
            1_280_000,
            "per_term",
            1440,
            occupancy="live_in",
        ),
        ServiceSpec(
            "maternity_five_star",
            "maternity_nurse",
            None,
            ("月嫂（五星）", "Maternity nurse, 5-star"),
            ("五年以上经验，服务过 30 个以上家庭", "Five years' experience and 30+ families served"),
            (
                ("新生儿喂养、洗澡、抚触", "Newborn feeding, bathing and massage"),
                ("产妇月子餐与催乳指导", "Postpartum meals and lactation help"),
                ("早教启蒙", "Early stimulation"),
            ),
            1_380_000,
            1_680_000,
            "per_term",
            1440,
            occupancy="live_in",
        ),
        ServiceSpec(
            "maternity_gold",
            "maternity_nurse",
            None,
            ("金牌月嫂（双胞胎/早产儿）", "Gold maternity nurse (twins, premature babies)"),
            (
                "金牌月嫂，擅长双胞胎与早产儿护理",
                "Top-rated nurse experienced with twins and premature babies",
            ),
            (
                ("双胞胎或早产儿专项护理", "Specialist care for twins or premature babies"),
                ("产妇月子餐与催乳指导", "Postpartum meals and lactation help"),
            ),
            1_880_000,
            2_580_000,
            "per_term",
            1440,
            occupancy="live_in",
        ),
        ServiceSpec(
            "maternity_day",
            "maternity_nurse",
            None,
            ("白班月嫂（按天）", "Day maternity nurse, by the day"),
            ("每天 10 小时，不住家", "10 hours a day, not live-in"),
            (("新生儿护理", "Newborn care"), ("产妇月子餐", "Postpartum meals")),
            40_000,
            55_000,
            "per_day",
            600,
        ),
        # -- infant care (育婴师) --------------------------------------------------------------
        ServiceSpec(
            "infant_care_live_in",
            "infant_care",
            None,
            ("住家育婴师", "Live-in infant carer"),
            ("照护 0–3 岁宝宝，住家", "Live-in care for a child aged 0 to 3"),
            (
                ("辅食制作与喂养", "Weaning food and feeding"),
                ("作息与睡眠引导", "Routines and sleep"),
                ("早教游戏", "Early-learning play"),
            ),
            900_000,
            1_200_000,
            "per_month",
            720,
            occupancy="live_in",
        ),
        ServiceSpec(
            "infant_care_day",
            "infant_care",
            None,
            ("白班育婴师", "Day infant carer"),
            ("每天 9 小时，白天照护宝宝", "9 hours of daytime care a day"),
            (("辅食制作与喂养", "Weaning food and feeding"), ("宝宝衣物清洗", "Baby laundry")),
            700_000,
            900_000,
            "per_month",
            540,
        ),
        ServiceSpec(
            "infant_care_hourly",
            "infant_care",
            None,
            ("临时育婴（按小时）", "Babysitting by the hour"),
            ("临时看护宝宝，3 小时起订", "Short-notice babysitting, 3-hour minimum"),
            (("看护、喂养、哄睡", "Watching, feeding and settling"),),
            6_000,
            8_000,
            "per_hour",
            180,
        ),
        # -- elder care ------------------------------------------------------------------------
        ServiceSpec(
            "elder_care_home_day",
            "elder_care",
            "home",
            ("居家老人陪护（白天 8 小时）", "Elder care at home, 8-hour day"),
            ("陪伴、做饭、协助起居", "Company, meals and help with daily living"),
            (
                ("协助洗漱、如厕、进餐", "Help with washing, toilet and meals"),
                ("按时提醒服药", "Medicine reminders"),
                ("陪同散步", "Accompanied walks"),
            ),
            26_000,
            32_000,
            "per_day",
            480,
        ),
        ServiceSpec(
            "elder_care_home_live_in",
            "elder_care",
            "home",
            ("住家老人护理", "Live-in elder carer"),
            ("住家照护自理或半自理老人", "Live-in care for independent or partly dependent elders"),
            (
                ("一日三餐", "Three meals a day"),
                ("协助起居与清洁", "Help with daily living and cleaning"),
                ("夜间照看", "Night-time care"),
            ),
            750_000,
            950_000,
            "per_month",
            720,
            occupancy="live_in",
        ),
        ServiceSpec(
            "elder_care_home_hourly",
            "elder_care",
            "home",
            ("居家陪伴（按小时）", "Companionship at home, by the hour"),
            ("聊天、读报、陪同散步，2 小时起订", "Conversation, reading and walks, 2-hour minimum"),
            (("陪伴与看护", "Company and watching over"),),
            5_000,
            6_500,
            "per_hour",
            120,
        ),
        ServiceSpec(
            "elder_care_hospital_day",
            "elder_care",
            "hospital",
            ("医院陪护（24 小时）", "Hospital care, 24 hours"),
            ("住院期间全天陪护", "Round-the-clock care during a hospital stay"),
            (
                ("协助进餐、翻身、如厕", "Help with meals, turning and toilet"),
                ("陪同检查", "Accompanied to examinations"),
            ),
            30_000,
            40_000,
            "per_day",
            1440,
        ),
        ServiceSpec(
            "elder_care_hospital_hourly",
            "elder_care",
            "hospital",
            ("陪诊（按小时）", "Hospital escort, by the hour"),
            (
                "陪同就医、挂号取药，2 小时起订",
                "Escort to appointments, registration and pharmacy, 2-hour minimum",
            ),
            (("陪同就诊与取药", "Escort through the visit and pharmacy"),),
            6_000,
            8_000,
            "per_hour",
            120,
        ),
        # -- home repair -----------------------------------------------------------------------
        ServiceSpec(
            "repair_pipe_leak",
            "home_repair",
            "plumbing",
            ("水管漏水维修", "Leaking pipe repair"),
            ("上水管、下水管漏水检修", "Supply and drain pipe leaks found and fixed"),
            (_DOOR_FEE, ("漏点修复", "Leak repaired"), _MATERIALS),
            8_000,
            30_000,
            "per_visit",
            60,
        ),
        ServiceSpec(
            "repair_drain_unclog",
            "home_repair",
            "plumbing",
            ("马桶/下水道疏通", "Toilet and drain unblocking"),
            ("马桶、地漏、水槽堵塞疏通", "Blocked toilets, floor drains and sinks"),
            (_DOOR_FEE, ("机器疏通", "Machine unblocking")),
            10_000,
            25_000,
            "per_visit",
            60,
        ),
        ServiceSpec(
            "repair_faucet",
            "home_repair",
            "plumbing",
            ("水龙头/角阀更换", "Tap and valve replacement"),
            ("更换水龙头、角阀、软管", "Taps, angle valves and hoses replaced"),
            (_DOOR_FEE, ("拆旧装新", "Old part out, new part in"), _MATERIALS),
            6_000,
            15_000,
            "per_visit",
            45,
        ),
        ServiceSpec(
            "repair_circuit",
            "home_repair",
            "electrical",
            ("电路故障检修", "Electrical fault repair"),
            ("跳闸、断电、漏电排查与维修", "Tripping, outages and earth leakage traced and fixed"),
            (_DOOR_FEE, ("故障排查与修复", "Fault finding and repair"), _MATERIALS),
            10_000,
            30_000,
            "per_visit",
            60,
        ),
        ServiceSpec(
            "repair_socket_light",
            "home_repair",
            "electrical",
            ("插座/开关/灯具安装", "Sockets, switches and lights"),
            ("插座开关更换、灯具安装", "Sockets and switches replaced, lights fitted"),
            (_DOOR_FEE, ("安装调试", "Fitting and testing"), _MATERIALS),
            5_000,
            15_000,
            "per_visit",
            45,
        ),
        ServiceSpec(
            "repair_air_conditioner",
            "home_repair",
            "appliance",
            ("空调维修", "Air-conditioner repair"),
            ("不制冷、漏水、异响检修，含加氟", "Not cooling, leaking or noisy; refrigerant top-up included"),
            (_DOOR_FEE, ("维修与加氟", "Repair and refrigerant"), _MATERIALS),
            15_000,
            40_000,
            "per_visit",
            90,
        ),
        ServiceSpec(
            "repair_air_conditioner_cleaning",
            "home_repair",
            "appliance",
            ("空调清洗", "Air-conditioner cleaning"),
            ("挂机拆洗，高温蒸汽杀菌", "Wall unit taken apart, steam cleaned"),
            (("滤网与蒸发器清洗", "Filters and evaporator cleaned"), ("杀菌除味", "Sanitised")),
            8_000,
            15_000,
            "per_visit",
            60,
        ),
        ServiceSpec(
            "repair_washing_machine",
            "home_repair",
            "appliance",
            ("洗衣机维修", "Washing-machine repair"),
            ("不进水、不脱水、漏水检修", "Not filling, not spinning or leaking"),
            (_DOOR_FEE, ("维修", "Repair"), _MATERIALS),
            10_000,
            35_000,
            "per_visit",
            60,
        ),
        ServiceSpec(
            "repair_water_heater",
            "home_repair",
            "appliance",
            ("热水器维修", "Water-heater repair"),
            ("燃气与电热水器不出热水、漏水检修", "Gas and electric heaters: no hot water or leaks"),
            (_DOOR_FEE, ("维修", "Repair"), _MATERIALS),
            10_000,
            30_000,
            "per_visit",
            60,
        ),
        ServiceSpec(
            "repair_unlock",
            "home_repair",
            "locks",
            ("开锁", "Lockout service"),
            (
                "公安备案锁匠，需出示身份证与房屋证明",
                "Registered locksmith; ID and proof of residence required",
            ),
            (_DOOR_FEE, ("无损开锁", "Non-destructive opening")),
            10_000,
            25_000,
            "per_visit",
            30,
        ),
        ServiceSpec(
            "repair_lock_change",
            "home_repair",
            "locks",
            ("换锁芯", "Lock cylinder replacement"),
            ("更换 B 级或 C 级防盗锁芯", "Grade B or C security cylinder fitted"),
            (_DOOR_FEE, ("锁芯及安装", "Cylinder and fitting")),
            15_000,
            45_000,
            "per_visit",
            45,
        ),
    ]


def seed_catalog() -> list[str]:
    """Create the demo services that are missing; returns every demo service id, in order."""
    ids = []
    for spec in catalog_specs():
        try:
            existing = get_service(spec.service_id)
            if (
                spec.occupancy == "live_in"
                and existing.occupancy != "live_in"
                and existing.status == "active"
            ):
                # seeded before services declared their occupancy (issue 12): mark it live-in
                update_service(spec.service_id, {"occupancy": "live_in"}, actor=SEED_ACTOR)
        except NotFound:
            try:
                create_service(spec.request(), actor=SEED_ACTOR, service_id=spec.service_id)
            except Conflict as error:
                if error.code != "service_exists":  # another seed run won the race: fine
                    raise
        ids.append(spec.service_id)
    return ids
