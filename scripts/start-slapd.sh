#!/usr/bin/env bash
# Starts a throwaway OpenLDAP slapd on loopback for the directory tests and the demo.
#
#   scripts/start-slapd.sh DIR PORT [TLS_PORT]
#
# DIR holds everything (own CA, server cert for IP:127.0.0.1, slapd.conf, data, PID file).
# Listens on ldap://127.0.0.1:PORT (StartTLS; simple binds without TLS are refused) and
# ldaps://127.0.0.1:TLS_PORT (default PORT+1). Idempotent: data and certs are reused, and a
# running instance is reported instead of started twice. Stop it with scripts/stop-test-dirs.sh DIR.
#
# Seeded entries (suffix dc=example,dc=test), every user's password "Old-Passw0rd":
#   cn=resetbot,ou=services   service account ("Bot-Passw0rd"): may reset passwords and write
#                             pwdReset/pwdAccountLockedTime/pwdFailureTime (manage)
#   uid=alice|bob|dave,ou=people   ordinary staff (alice has mobile and telephoneNumber)
#   uid=carol,ou=people            member of cn=it-admins,ou=groups (a protected group)
#   cn=default,ou=policies         ppolicy: min length 8, history 3, lockout after 3 failures,
#                                  pwdMustChange TRUE
# On success prints KEY=VALUE lines: PID_FILE, LDAP_URI, LDAPS_URI, CA_FILE, BASE_DN, BIND_DN,
# BIND_PW.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 DIR PORT [TLS_PORT]" >&2
  exit 2
fi
DIR=$(mkdir -p "$1" && cd "$1" && pwd)
PORT=$2
TLS_PORT=${3:-$((PORT + 1))}
SUFFIX="dc=example,dc=test"
BOT_DN="cn=resetbot,ou=services,$SUFFIX"
BOT_PW="Bot-Passw0rd"
USER_PW="Old-Passw0rd"
PID_FILE="$DIR/slapd.pid"
SLAPD=${SLAPD:-/usr/sbin/slapd}

report() {
  echo "PID_FILE=$PID_FILE"
  echo "LDAP_URI=ldap://127.0.0.1:$PORT"
  echo "LDAPS_URI=ldaps://127.0.0.1:$TLS_PORT"
  echo "CA_FILE=$DIR/ca.pem"
  echo "BASE_DN=$SUFFIX"
  echo "BIND_DN=$BOT_DN"
  echo "BIND_PW=$BOT_PW"
}

if [ -s "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
  report
  exit 0
fi

# --- certificates: own CA, server cert naming 127.0.0.1 and localhost ---
if [ ! -s "$DIR/server.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=wedesk test CA (slapd)" \
    -keyout "$DIR/ca.key" -out "$DIR/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$DIR/server.key" -out "$DIR/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    >"$DIR/server.ext"
  openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" \
    -CAcreateserial -days 3650 -extfile "$DIR/server.ext" -out "$DIR/server.pem" 2>/dev/null
  chmod 600 "$DIR/server.key" "$DIR/ca.key"
fi

# --- configuration ---
cat >"$DIR/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile $PID_FILE
argsfile $DIR/slapd.args
TLSCACertificateFile $DIR/ca.pem
TLSCertificateFile $DIR/server.pem
TLSCertificateKeyFile $DIR/server.key
# Simple binds only over TLS (like AD's "strong auth required").
security simple_bind=128

database mdb
suffix "$SUFFIX"
rootdn "cn=admin,$SUFFIX"
rootpw "Root-Passw0rd-$(basename "$DIR")"
directory $DIR/data
maxsize 16777216
overlay ppolicy
ppolicy_default "cn=default,ou=policies,$SUFFIX"
ppolicy_hash_cleartext
ppolicy_use_lockout

access to attrs=userPassword
  by dn.exact="$BOT_DN" write
  by self write
  by anonymous auth
  by * none
access to attrs=pwdAccountLockedTime,pwdFailureTime,pwdReset
  by dn.exact="$BOT_DN" manage
  by * read
access to *
  by users read
  by * none
EOF

# --- data, seeded offline once ---
if [ ! -e "$DIR/data/data.mdb" ]; then
  mkdir -p "$DIR/data"
  UPW=$(slappasswd -s "$USER_PW")
  BPW=$(slappasswd -s "$BOT_PW")
  cat >"$DIR/seed.ldif" <<EOF
dn: $SUFFIX
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,$SUFFIX
objectClass: organizationalUnit
ou: people

dn: ou=services,$SUFFIX
objectClass: organizationalUnit
ou: services

dn: ou=groups,$SUFFIX
objectClass: organizationalUnit
ou: groups

dn: ou=policies,$SUFFIX
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,$SUFFIX
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdMinLength: 8
pwdCheckQuality: 1
pwdInHistory: 3
pwdLockout: TRUE
pwdMaxFailure: 3
pwdLockoutDuration: 0
pwdMustChange: TRUE
pwdAllowUserChange: TRUE
pwdMinAge: 0

dn: $BOT_DN
objectClass: person
cn: resetbot
sn: Reset Bot
userPassword: $BPW

dn: uid=alice,ou=people,$SUFFIX
objectClass: inetOrgPerson
uid: alice
cn: Alice Test
sn: Test
displayName: Alice Test
mobile: +8613800000001
telephoneNumber: +86 10 5555 0001
userPassword: $UPW

dn: uid=bob,ou=people,$SUFFIX
objectClass: inetOrgPerson
uid: bob
cn: Bob Test
sn: Test
telephoneNumber: +86 10 5555 0002
userPassword: $UPW

dn: uid=carol,ou=people,$SUFFIX
objectClass: inetOrgPerson
uid: carol
cn: Carol Admin
sn: Admin
mobile: +8613800000003
userPassword: $UPW

dn: uid=dave,ou=people,$SUFFIX
objectClass: inetOrgPerson
uid: dave
cn: Dave Test
sn: Test
mobile: +8613800000004
userPassword: $UPW

dn: cn=it-admins,ou=groups,$SUFFIX
objectClass: groupOfNames
cn: it-admins
member: uid=carol,ou=people,$SUFFIX
EOF
  slapadd -q -f "$DIR/slapd.conf" -l "$DIR/seed.ldif" >/dev/null
fi

"$SLAPD" -f "$DIR/slapd.conf" -h "ldap://127.0.0.1:$PORT/ ldaps://127.0.0.1:$TLS_PORT/"

# slapd detaches before it necessarily answers; wait (bounded) until an anonymous rootDSE read
# over ldaps works, which also proves the certificate verifies against our CA.
for _ in $(seq 1 100); do
  if LDAPTLS_CACERT="$DIR/ca.pem" LDAPTLS_REQCERT=demand \
    ldapsearch -x -H "ldaps://127.0.0.1:$TLS_PORT" -s base -b "" -o nettimeout=2 \
    namingContexts >/dev/null 2>&1; then
    report
    exit 0
  fi
  sleep 0.05
done
echo "start-slapd: slapd did not answer on ldaps://127.0.0.1:$TLS_PORT" >&2
exit 1
