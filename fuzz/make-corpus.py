#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from tests/data/wecom_vectors.json,
config/wedesk.example.jsonc and a list of chat lines. Deterministic; re-run after the vectors
change and commit the result (the seeds are small). The input formats are described at the top
of each fuzz/<target>_fuzz.cpp."""

import hashlib
import json
import pathlib
import shutil
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus"
VECTORS = json.loads((ROOT / "tests" / "data" / "wecom_vectors.json").read_text("utf-8"))

# callback_fuzz flag bits
RAW_POST, RAW_GET, SEALED_POST, SEALED_GET = 0, 1, 2, 3
RESIGN_OR_TAMPER, PRETTY, REPLY_TEXT, REPLY_BUTTON, HANDLER_FAILS, FRESHNESS = (
    0x04, 0x08, 0x10, 0x20, 0x40, 0x80)


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}-{hashlib.sha1(data).hexdigest()[:8]}").write_bytes(data)


def query_of(v):
    # The handler gets values URL-decoded once; '+' in the vectors is %2B, so no unquote_plus.
    return "&".join(f"{k}={urllib.parse.unquote(val)}"
                    for k, val in (p.split("=", 1) for p in v["query_string"].split("&")))


def callback():
    for v in VECTORS["post_messages"]:
        raw = query_of(v) + "\n" + v["body"]
        write("callback", v["id"], bytes([RAW_POST | REPLY_TEXT]) + raw.encode())
        write("callback", v["id"] + "-resign", bytes([RAW_POST | RESIGN_OR_TAMPER]) + raw.encode())
        inner = v["expected_inner_xml"].encode()
        write("callback", v["id"] + "-sealed", bytes([SEALED_POST | REPLY_TEXT | FRESHNESS]) + inner)
        write("callback", v["id"] + "-sealed-button", bytes([SEALED_POST | PRETTY | REPLY_BUTTON]) + inner)
    for v in VECTORS["url_verification"]:
        write("callback", v["id"], bytes([RAW_GET]) + query_of(v).encode())
        write("callback", v["id"] + "-sealed",
              bytes([SEALED_GET]) + v["expected_response_body"].encode())
    for v in VECTORS["negative"]:
        if "query_string" not in v or not v.get("query_string"):
            continue
        if v.get("method") == "GET":
            write("callback", v["id"], bytes([RAW_GET]) + query_of(v).encode())
        else:
            raw = query_of(v) + "\n" + (v.get("body") or "")
            write("callback", v["id"], bytes([RAW_POST]) + raw.encode())
            write("callback", v["id"] + "-resign", bytes([RAW_POST | RESIGN_OR_TAMPER]) + raw.encode())


def xml():
    for v in VECTORS["post_messages"]:
        write("xml", v["id"] + "-inner", v["expected_inner_xml"])
        write("xml", v["id"] + "-outer", v["body"])
    for v in VECTORS["passive_replies"]:
        write("xml", v["id"] + "-reply", v["reply_inner_xml"])
        write("xml", v["id"] + "-envelope", v["expected_response_xml"])
    write("xml", "cdata-split",
          "<xml><FromUserName>u</FromUserName><MsgType>text</MsgType>"
          "<Content><![CDATA[a]]]]><![CDATA[>b]]>&amp;c</Content></xml>")
    write("xml", "doctype",
          '<!DOCTYPE xml [<!ENTITY e "x">]><xml><FromUserName>&e;</FromUserName>'
          "<MsgType>event</MsgType><Event>LOCATION</Event><Latitude> 1.5 </Latitude></xml>")


def config():
    example = (ROOT / "config" / "wedesk.example.jsonc").read_text("utf-8")
    write("config", "example", example)
    minimal = json.dumps({
        "wecom": {"corp_id": "ww5f3c9a1e7b2d4068", "agent_id": 1000002, "secret": "s",
                  "token": "t", "encoding_aes_key": VECTORS["config"]["encoding_aes_key"]},
        "database": {"path": "x.db"}})
    write("config", "minimal", minimal)
    envs = [
        ["SERVER__PORT=9090", "Server__Demo=true", "!PATH=/usr/bin"],
        ["!canary"],
        ["SMS__PROVIDER=tencent", "SMS__TENCENT__SECRET_ID=AKIDx", "SMS__TENCENT__SDK_APP_ID=1",
         "SMS__TENCENT__SIGN_NAME=某某科技", "SMS__TENCENT__TEMPLATE_ID=123", "!canary"],
        ['TICKETS__BUSINESS_HOURS__HOLIDAYS=["2026-10-01"]',
         'TICKETS__SLA__P2={"response_min": 5, "resolve_min": 50}',
         "TICKETS__SLA_CLOCK__P1=business", "TICKETS__SLA_CLOCK=calendar"],
        ["DIRECTORY__KIND=ldap", "DIRECTORY__LDAP__URI=ldap://127.0.0.1:389",
         "DIRECTORY__LDAP__BIND_PASSWORD=pw", "SERVER____PORT=1", "NOPE__X=1"],
    ]
    for i, env in enumerate(envs):
        write("config", f"minimal-env{i}", minimal + "\0" + "\0".join(env))
        write("config", f"example-env{i}", example + "\0" + "\0".join(env))
    write("config", "broken", '{"server": {"port": 80,}, // c\n "wecom": [1,2')


def command():
    lines = [
        "帮助", "help", "?", "菜单", "新建工单", "报修 打印机坏了", "我的工单", "my", "tickets",
        "查询IT20261127-0001", "查询 it20261127-0001", "ｑｕｅｒｙ　ＩＴ２０２６１１２７－０００１",
        "催办 IT20261127-0001", "评价 IT20261127-0001 ５", "评价IT20261127-0001 5分 很快",
        "rate IT20261127-0001 4 good", "取消工单 IT20261127-0001", "cancel ticket IT20261127-0001",
        "重开 IT20261127-0001 还是坏的", "重置密码", "reset password", "解锁账号", "unlock",
        "取消", "退出", "cancel", "接单 IT20261127-0001", "备注 IT20261127-0001 已联系",
        "转派 IT20261127-0001 lisi", "挂起 IT20261127-0001 等备件", "完成 IT20261127-0001",
        "我的任务", "上班", "下班", "on duty", "off duty", "IT20261127-0001", "１", " 3 ", "０",
        "\u3000帮助\u3000", "IT20261127-00012", "打印机坏了怎么办",
        # TruncateUtf8 limit comes from the first byte: put a multi-byte character at the cut.
        "\x05中文字符", "\x07ab中文",
    ]
    for i, line in enumerate(lines):
        write("command", f"line{i:02d}", line)


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    callback()
    xml()
    config()
    command()
    for d in sorted(OUT.iterdir()):
        print(f"{d.relative_to(ROOT)}: {len(list(d.iterdir()))} seeds")


if __name__ == "__main__":
    main()
