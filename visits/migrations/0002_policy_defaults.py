"""The visit-coverage defaults of SPEC §4: diamond every 30 days, gold 90, normal not tracked;
a starter routine-inspection checklist and the standard document templates (R-VISIT-4)."""
from django.db import migrations

POLICIES = {"diamond": 30, "gold": 90, "normal": None}
CHECKLIST = [
    "客户端路由器/交换机运行状态、告警灯",
    "专线端口光功率与误码",
    "设备电源、接地与机房环境（温湿度）",
    "配置备份是否最新",
    "线缆标签与走线",
    "客户联系人及应急电话核对",
]
DOCUMENT_TEMPLATES = [
    ("proposal", "标准方案建议书", "一、背景\n二、现状分析\n三、建议方案\n四、实施计划\n五、联系人"),
    ("report", "标准拜访/故障总结报告", "一、拜访概况\n二、故障经过与原因\n三、处理措施\n四、改进建议\n五、遗留问题与责任人"),
    ("fax", "标准传真", "致：\n发自：\n日期：\n事由：\n正文："),
    ("email", "标准邮件", "尊敬的客户：\n\n正文\n\n此致\n网络维护中心 服务支撑室"),
]


def ensure(apps=None) -> None:
    """Create whatever of the reference data is missing (also used by the test suite after a flush)."""
    if apps is None:
        from django.apps import apps
    VisitPolicy = apps.get_model("visits", "VisitPolicy")
    for tier, days in POLICIES.items():
        VisitPolicy.objects.get_or_create(tier=tier, defaults={"interval_days": days})
    ChecklistTemplate = apps.get_model("visits", "ChecklistTemplate")
    ChecklistItem = apps.get_model("visits", "ChecklistItem")
    template, created = ChecklistTemplate.objects.get_or_create(name="集团客户例行巡检")
    if created:
        ChecklistItem.objects.bulk_create(
            [ChecklistItem(template=template, order=i, text=text) for i, text in enumerate(CHECKLIST, start=1)]
        )
    DocumentTemplate = apps.get_model("visits", "DocumentTemplate")
    for kind, name, body in DOCUMENT_TEMPLATES:
        DocumentTemplate.objects.get_or_create(name=name, version="1", defaults={"kind": kind, "body": body})


def forwards(apps, schema_editor):
    ensure(apps)


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
