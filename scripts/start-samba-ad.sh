#!/usr/bin/env bash
# Starts a throwaway Samba AD DC for the directory tests, provisioned into a private folder.
#
#   scripts/start-samba-ad.sh DIR [ADDR]
#
# Samba's LDAP ports are fixed (389 LDAP+StartTLS, 636 LDAPS), so the instance is made unique by
# its address ADDR (default 127.0.0.1; Samba only binds addresses assigned to an interface, so
# another 127.x.y.z needs `ip addr add 127.x.y.z/32 dev lo` first). Only the `ldap`
# service runs (-M single). DIR holds the provision (DIR/samba), its own CA and a server cert for
# IP:ADDR (DIR/samba-tls), and the PID file. Idempotent: a provisioned DIR is reused, a running
# instance is reported. Stop it with scripts/stop-test-dirs.sh DIR. Needs root (ports < 1024).
#
# Domain TEST.LOCAL (DC=test,DC=local), policy: complexity on, min length 8, history 3,
# lockout after 3 bad passwords, "old password allowed period" 0 (the old password stops
# working at once). Every user's password is "Old-Passw0rd!".
#   CN=resetbot,CN=Users           service account ("Bot-Passw0rd!"), delegated on OU=Staff only:
#                                  Reset Password + write pwdLastSet + write lockoutTime
#   alice, bob, dave (OU=Staff)    ordinary staff (alice has mobile and telephoneNumber)
#   carol (OU=Staff)               adminCount=1 (privileged)
#   erin (OU=Staff)                member of CN=Staff Admins,OU=Staff (a protected group)
#   frank (OU=Staff)               in Domain Admins through the nested group CN=Ops Team
# On success prints KEY=VALUE lines: PID_FILE, LDAP_URI, LDAPS_URI, CA_FILE, BASE_DN, BIND_DN,
# BIND_PW.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 DIR [ADDR]" >&2
  exit 2
fi
DIR=$(mkdir -p "$1" && cd "$1" && pwd)
ADDR=${2:-127.0.0.1}
S="$DIR/samba"
TLS="$DIR/samba-tls"
CONF="$S/etc/smb.conf"
SAM="$S/private/sam.ldb"
PID_FILE="$S/run/samba.pid"
BASE="DC=test,DC=local"
BOT_PW='Bot-Passw0rd!'
USER_PW='Old-Passw0rd!'

report() {
  echo "PID_FILE=$PID_FILE"
  echo "LDAP_URI=ldap://$ADDR:389"
  echo "LDAPS_URI=ldaps://$ADDR:636"
  echo "CA_FILE=$TLS/ca.pem"
  echo "BASE_DN=OU=Staff,$BASE"
  echo "BIND_DN=CN=resetbot,CN=Users,$BASE"
  echo "BIND_PW=$BOT_PW"
}

if [ -s "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
  report
  exit 0
fi

tool() { samba-tool "$@" -H "$SAM" --configfile="$CONF" >/dev/null; }

if [ ! -e "$S/.seeded" ]; then
  rm -rf "$S" "$TLS"
  mkdir -p "$S/run" "$TLS"
  # Samba's own certificate names only the DC's FQDN; ours names the address clients use.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=wedesk test CA (samba)" \
    -keyout "$TLS/ca.key" -out "$TLS/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=wedeskdc.test.local" \
    -keyout "$TLS/server.key" -out "$TLS/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:%s,DNS:wedeskdc.test.local\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    "$ADDR" >"$TLS/server.ext"
  openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
    -CAcreateserial -days 3650 -extfile "$TLS/server.ext" -out "$TLS/server.pem" 2>/dev/null
  chmod 600 "$TLS/server.key" "$TLS/ca.key"

  samba-tool domain provision --targetdir="$S" --realm=TEST.LOCAL --domain=TEST \
    --server-role=dc --dns-backend=NONE --host-name=wedeskdc --host-ip="$ADDR" \
    --adminpass="Admin-Passw0rd-$RANDOM!" \
    --option="netbios name = WEDESKDC" \
    --option="interfaces = $ADDR" --option="bind interfaces only = yes" \
    --option="server services = ldap" \
    --option="pid directory = $S/run" \
    --option="tls enabled = yes" --option="tls keyfile = $TLS/server.key" \
    --option="tls certfile = $TLS/server.pem" --option="tls cafile = $TLS/ca.pem" \
    >"$DIR/samba-provision.log" 2>&1
  # Options provision does not carry into smb.conf: the old password must stop working at once
  # (default: still valid for 60 min), logs stay in DIR, no Unix password sync.
  sed -i "/^\[global\]/a\\\told password allowed period = 0\n\tlog file = $S/log.%m\n\tunix password sync = no" "$CONF"
  sed -i '/^\tlog file = \/var\/log/d; /^\tunix password sync = Yes/d' "$CONF"

  tool domain passwordsettings set --complexity=on --min-pwd-length=8 --history-length=3 \
    --min-pwd-age=0 --account-lockout-threshold=3 --account-lockout-duration=30 \
    --reset-account-lockout-after=30
  tool ou create "OU=Staff,$BASE"
  tool user create resetbot "$BOT_PW"
  for u in alice bob carol dave erin frank; do
    tool user create "$u" "$USER_PW" --userou=OU=Staff --given-name="${u^}" --surname=Test
  done
  tool group add "Staff Admins" --groupou=OU=Staff
  tool group addmembers "Staff Admins" erin
  # frank is a Domain Admin only through a nested group: no adminCount, not in protected_groups.
  tool group add "Ops Team" --groupou=OU=Staff
  tool group addmembers "Ops Team" frank
  tool group addmembers "Domain Admins" "Ops Team"
  # Attributes samba-tool cannot set, written through Samba's own Python bindings (ldbmodify
  # lives in ldb-tools, which is not otherwise needed).
  BOT_SID=$(/usr/bin/python3 - "$SAM" "$CONF" <<'PY'
import sys
import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

lp = LoadParm()
lp.load(sys.argv[2])
db = SamDB(url=sys.argv[1], session_info=system_session(), lp=lp)


def dn_of(account):
    res = db.search(base=db.domain_dn(), scope=ldb.SCOPE_SUBTREE,
                    expression="(sAMAccountName=%s)" % account, attrs=["objectSid"])
    return res[0]


def replace(account, attrs):
    m = ldb.Message()
    m.dn = dn_of(account).dn
    for k, v in attrs.items():
        m[k] = ldb.MessageElement(v, ldb.FLAG_MOD_REPLACE, k)
    db.modify(m)


replace("alice", {"mobile": "+8613800000001", "telephoneNumber": "+86 10 5555 0001",
                  "displayName": "Alice Test"})
replace("carol", {"adminCount": "1"})
print(db.schema_format_value("objectSid", dn_of("resetbot")["objectSid"][0]).decode())
PY
)
  USER_CLASS=bf967aba-0de6-11d0-a285-00aa003049e2
  for ace in "CR;00299570-246d-11d0-a768-00aa006e0529" "WP;bf967a0a-0de6-11d0-a285-00aa003049e2" \
    "WP;28630ebf-41d5-11d1-a9c1-0000f80367c1"; do
    tool dsacl set --objectdn="OU=Staff,$BASE" --sddl="(OA;CIIO;$ace;$USER_CLASS;$BOT_SID)"
  done
  touch "$S/.seeded"
fi

samba --configfile="$CONF" -M single -D

# The daemon detaches before it answers; wait (bounded) for an LDAPS bind as the service
# account, which also proves the certificate verifies against our CA.
for _ in $(seq 1 200); do
  if LDAPTLS_CACERT="$TLS/ca.pem" LDAPTLS_REQCERT=demand \
    ldapsearch -x -H "ldaps://$ADDR:636" -D "CN=resetbot,CN=Users,$BASE" -w "$BOT_PW" \
    -s base -b "" -o nettimeout=2 defaultNamingContext >/dev/null 2>&1; then
    report
    exit 0
  fi
  sleep 0.05
done
echo "start-samba-ad: samba did not answer on ldaps://$ADDR:636 (see $S/var or syslog)" >&2
exit 1
