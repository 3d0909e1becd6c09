"""`import_customers FILE.csv` (CONTRACT.md): upsert, all or nothing, `line N: …` errors, idempotent."""
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from customers.models import Circuit, Contact, Customer, Site

pytestmark = pytest.mark.django_db

HEADER = "code,name,tier,circuit_id,service_type,address,contact_name,contact_phone\n"
GOOD = HEADER + (
    "C001,深圳市政务服务数据管理局,diamond,SZ-DL-0001,data_line,福田区深南大道6008号,黄工,13902000001\n"
    "C001,深圳市政务服务数据管理局,diamond,SZ-IL-0002,internet_line,福田区深南大道6008号,黄工,13902000001\n"
    "C002,顺达物流,normal,SZ-SM-0202,sms,宝安区航城大道88号,孙工,13902000004\n"
)


def write(tmp_path: Path, text: str, name="customers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_customers", str(path))
    return exit_info.value.code, capsys.readouterr()


def test_import_creates_customers_circuits_sites_and_contacts(tmp_path, capsys):
    call_command("import_customers", str(write(tmp_path, GOOD)))
    assert capsys.readouterr().out.startswith("imported 3 rows")
    customer = Customer.objects.get(code="C001")
    assert customer.tier == "diamond" and customer.circuits.count() == 2
    assert Circuit.objects.get(circuit_id="SZ-SM-0202").service_type == "sms"
    assert Site.objects.filter(customer=customer).count() == 1
    assert Contact.objects.get(customer=customer).phone == "13902000001"


def test_reimporting_the_same_file_changes_nothing(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    call_command("import_customers", str(path))
    snapshot = [list(model.objects.order_by("pk").values()) for model in (Customer, Circuit, Site, Contact)]
    capsys.readouterr()
    call_command("import_customers", str(path))
    out = capsys.readouterr().out
    assert [list(model.objects.order_by("pk").values()) for model in (Customer, Circuit, Site, Contact)] == snapshot
    assert "created" not in out and "updated" not in out


def test_reimport_with_a_changed_tier_updates_it(tmp_path, capsys):
    call_command("import_customers", str(write(tmp_path, GOOD)))
    call_command("import_customers", str(write(tmp_path, GOOD.replace("normal", "gold"), "v2.csv")))
    assert Customer.objects.get(code="C002").tier == "gold"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("C003,某公司,platinum,SZ-X-1,sms,地址,张,1", "line 3: tier 'platinum' is not one of diamond|gold|normal"),
        ("C003,某公司,gold,SZ-X-1,fax,地址,张,1", "line 3: service_type 'fax' is not one of"),
        ("C003,,gold,SZ-X-1,sms,地址,张,1", "line 3: name is empty"),
        ("C003,某公司,gold,SZ-DL-0001,sms,地址,张,1", "line 3: circuit_id SZ-DL-0001 repeats line 2"),
        ("C003,某公司,gold,SZ-X-1,sms,地址,张", "line 3: 7 fields, expected 8"),
        ("C003,某公司,gold,SZ-X-1,sms,地址,张,", "line 3: contact_name and contact_phone go together"),
    ],
)
def test_a_bad_row_aborts_the_whole_file(tmp_path, capsys, row, message):
    text = HEADER + "C001,深圳市政务服务数据管理局,diamond,SZ-DL-0001,data_line,地址,黄工,139\n" + row + "\n"
    code, captured = run(write(tmp_path, text), capsys)
    assert code == 1
    assert message in captured.err
    assert not Customer.objects.exists() and not Circuit.objects.exists()


def test_every_bad_line_is_named(tmp_path, capsys):
    text = HEADER + "A,x,gold,SZ-1,sms,,,\nB,y,bronze,SZ-2,sms,,,\nC,z,gold,SZ-3,telex,,,\n"
    code, captured = run(write(tmp_path, text), capsys)
    assert code == 1
    assert "line 3: tier" in captured.err and "line 4: service_type" in captured.err
    assert "line 2" not in captured.err


def test_missing_header_column(tmp_path, capsys):
    code, captured = run(write(tmp_path, "code,name,tier\nC1,x,gold\n"), capsys)
    assert code == 1 and captured.err.startswith("line 1: header lacks circuit_id")


def test_circuit_of_another_customer_is_refused(tmp_path, capsys):
    call_command("import_customers", str(write(tmp_path, GOOD)))
    capsys.readouterr()
    text = HEADER + "C009,新客户,gold,SZ-DL-0001,data_line,,,\n"
    code, captured = run(write(tmp_path, text, "steal.csv"), capsys)
    assert code == 1 and "line 2: circuit_id SZ-DL-0001 belongs to customer C001" in captured.err
    assert not Customer.objects.filter(code="C009").exists()


def test_missing_file_and_exit_status_from_the_shell(tmp_path):
    """The real command line: stderr names the problem, exit status 1."""
    result = subprocess.run(
        [sys.executable, "manage.py", "import_customers", str(tmp_path / "none.csv")],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2],
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "supportdesk.test_settings"},
    )
    assert result.returncode == 1 and "no such file" in result.stderr
