"""The default catalogue of application types (loaded by migration 0002; afterwards admin-edited
data).  Limits in working days: the historic processing-trade approval rule (gaps told at once within
3 working days, review 3 working days — zones-and-evaluation.md §4) for customs-side items; admission
reviews get the zone's local promise."""

LINES = {"name": "lines", "label": "货物明细", "kind": "lines", "required": True}
PERIOD = [{"name": "period_from", "label": "期限自", "kind": "date", "required": True},
          {"name": "period_to", "label": "期限至", "kind": "date", "required": True}]
COUNTERPARTY = {"name": "counterparty", "label": "对方单位", "kind": "text", "required": True}
REASON = {"name": "reason", "label": "事由", "kind": "text", "required": True}

# code, name, category, ledger link, negative list?, counting word, legal, promised, fields, attachments
TYPES = [
    ("project_admission", "项目入区审核", "project_admission", "", True, "件", 20, 10,
     [{"name": "project", "label": "项目名称", "kind": "text", "required": True},
      {"name": "industry", "label": "行业代码", "kind": "text", "required": True},
      {"name": "process", "label": "主要工艺", "kind": "text", "required": True},
      {"name": "investment", "label": "投资总额（万美元）", "kind": "number", "required": True},
      {"name": "land", "label": "用地面积（平方米）", "kind": "number", "required": False}],
     ["项目可行性报告", "环评文件"]),
    ("enterprise_admission", "企业入区准入", "enterprise_admission", "", True, "件", 15, 10,
     [{"name": "industry", "label": "行业代码", "kind": "text", "required": True},
      {"name": "process", "label": "主要工艺", "kind": "text", "required": True},
      {"name": "output_pledge", "label": "承诺年产值（万元）", "kind": "number", "required": False}],
     ["营业执照", "入区承诺书"]),
    ("infra_material", "基建物资进区", "infra_material", "", False, "单次", 3, 1,
     [{"name": "category", "label": "物资类别", "kind": "choice", "required": True,
       "choices": ["基建物资", "办公用品", "劳保用品", "生活消费品", "其他"]},
      {"name": "vehicle", "label": "车牌号", "kind": "text", "required": True},
      {"name": "entry_date", "label": "进区日期", "kind": "date", "required": True}, LINES],
     ["物资清单"]),
    ("equipment_return", "设备退运", "equipment_return", "", False, "单次", 3, 2,
     [{"name": "book", "label": "账册", "kind": "book", "required": True}, REASON, LINES], ["退运说明"]),
    ("equipment_repair", "设备出区检测/维修", "equipment_repair", "", False, "单次", 3, 2,
     [COUNTERPARTY, *PERIOD, LINES], ["维修合同"]),
    ("outward_processing", "外发加工", "outward_processing", "", False, "单次", 3, 2,
     [{"name": "book", "label": "账册", "kind": "book", "required": True}, COUNTERPARTY, *PERIOD, LINES],
     ["外发加工合同"]),
    ("book_filing", "电子账册备案/变更", "book_filing", "book", False, "单次", 3, 2,
     [{"name": "book", "label": "账册", "kind": "book", "required": True},
      {"name": "filing", "label": "申报类型", "kind": "choice", "required": True, "choices": ["备案", "变更"]}],
     ["备案申请表"]),
    ("packaging_waste", "废弃包装物/固体废物出区", "packaging_waste", "", False, "单次", 3, 2,
     [{"name": "disposal", "label": "处置单位", "kind": "text", "required": True}, LINES], ["处置合同"]),
    ("return", "退运", "return", "", False, "单次", 3, 2,
     [{"name": "book", "label": "账册", "kind": "book", "required": False}, REASON, LINES], []),
    ("domestic_sale", "内销", "domestic_sale", "domestic_sale", False, "单次", 5, 3,
     [{"name": "book", "label": "账册", "kind": "book", "required": True},
      {"name": "item_kind", "label": "料件/成品", "kind": "choice", "required": True, "choices": ["material", "product"]},
      {"name": "seq_no", "label": "备案序号", "kind": "number", "required": True},
      {"name": "qty", "label": "数量", "kind": "number", "required": True},
      {"name": "date", "label": "申报日期", "kind": "date", "required": True}],
     []),
    ("carry_over", "深加工结转", "carry_over", "carry_over", False, "份", 3, 2,
     [{"name": "counterparty", "label": "对方企业", "kind": "text", "required": False}], []),
    ("scrap", "边角料/残次品出区", "scrap", "", False, "单次", 3, 2,
     [{"name": "book", "label": "账册", "kind": "book", "required": True},
      {"name": "destination", "label": "去向", "kind": "choice", "required": True, "choices": ["退运", "内销", "销毁"]},
      LINES], []),
    ("exhibition", "展示", "exhibition", "", False, "单次", 3, 2,
     [{"name": "venue", "label": "展示地", "kind": "text", "required": True}, *PERIOD,
      {"name": "deposit_no", "label": "保证金征收单编号", "kind": "text", "required": False}, LINES], []),
]


def policy_key(code: str) -> str:
    return f"operations.{code}"
