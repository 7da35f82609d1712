#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Rotate hsod's session-ticket key file, shared by a fleet, in the three
# steps that never make a server refuse a ticket another server issued:
#
#   1. add       a new random key at the end: every server can open tickets
#                sealed with it, none seals with it yet. Copy the file to
#                every server (each reloads it: inotify, or SIGHUP).
#   2. promote   once EVERY server has the new key: it becomes record 0 and
#                seals; the old sealing key only opens from now on.
#   3. retire    once the ticket lifetime ([tickets] lifetime, default 7200 s)
#                has passed since the promotion: the old key is removed.
#                Its tickets are then refused and clients do a full
#                handshake: none of them is still valid anyway.
#
# The file is 1..9 records of 80 bytes: key id (16) || AES-256 key (32) ||
# reserved (32); record 0 seals (crypto/crypto_stek.h). Every change is
# written to a temporary file in the same directory (mode 0600), flushed,
# then renamed over the file, so a server never reads half a file.
#
# usage: stek-rotate.sh new FILE           a file with one key (FILE must not exist)
#        stek-rotate.sh add FILE           step 1; prints the new key's id
#        stek-rotate.sh promote FILE [ID]  step 2 (default: the newest key, the last)
#        stek-rotate.sh retire FILE ID...  step 3 (never the sealing key)
#        stek-rotate.sh list FILE          key ids, the sealing one first
#
# Key ids are printed in hex; they are not secret (every ticket carries its
# key's id in the clear). Key bytes are never printed.
set -euo pipefail

REC=80
MAX=9

die() {
	echo "stek-rotate: $*" >&2
	exit 1
}

usage() {
	sed -n '/^# usage:/,/^#$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

# count FILE: records in a valid key file, or die naming what is wrong.
count() {
	local f=$1 size n
	[ -f "$f" ] || die "$f: no such file"
	size=$(stat -c %s "$f")
	[ "$size" -gt 0 ] && [ $((size % REC)) -eq 0 ] ||
		die "$f: $size bytes, not a multiple of $REC (not a key file)"
	n=$((size / REC))
	[ "$n" -le "$MAX" ] || die "$f: $n keys, hsod reads at most $MAX"
	echo "$n"
}

# id FILE I: record I's key id, hex.
id() {
	od -An -tx1 -v -j $(($2 * REC)) -N 16 "$1" | tr -d ' \n'
}

# record FILE I: record I's 80 bytes on stdout.
record() {
	tail -c +$(($2 * REC + 1)) "$1" | head -c "$REC"
}

# index FILE ID: the record holding key ID, or die.
index() {
	local f=$1 want=${2,,} n i
	n=$(count "$f")
	for ((i = 0; i < n; i++)); do
		[ "$(id "$f" "$i")" = "$want" ] && {
			echo "$i"
			return
		}
	done
	die "$f: no key with id $2 (stek-rotate.sh list $f)"
}

# commit FILE TMP: flush TMP and rename it over FILE.
commit() {
	local f=$1 tmp=$2 n
	n=$(count "$tmp")
	# Ids must differ: hsod refuses a file with two keys of one id.
	if [ "$(for ((i = 0; i < n; i++)); do id "$tmp" "$i"; echo; done | sort | uniq -d)" ]; then
		rm -f "$tmp"
		die "two keys with one id: the random source repeated itself?"
	fi
	sync "$tmp"
	mv -f "$tmp" "$f"
}

# tmpfile FILE: a new empty file beside FILE, mode 0600.
tmpfile() {
	local t
	t=$(mktemp "$(dirname "$1")/.$(basename "$1").XXXXXX")
	chmod 600 "$t"
	echo "$t"
}

[ $# -ge 2 ] || usage
cmd=$1
f=$2
shift 2
case $cmd in
new)
	[ ! -e "$f" ] || die "$f exists: use add / promote / retire"
	t=$(tmpfile "$f")
	openssl rand "$REC" >"$t"
	commit "$f" "$t"
	echo "$(id "$f" 0)"
	;;
add)
	n=$(count "$f")
	[ "$n" -lt "$MAX" ] || die "$f: $MAX keys already: retire one first"
	t=$(tmpfile "$f")
	{ cat "$f"; openssl rand "$REC"; } >"$t"
	commit "$f" "$t"
	id "$f" "$n"
	echo
	;;
promote)
	n=$(count "$f")
	if [ $# -ge 1 ]; then i=$(index "$f" "$1"); else i=$((n - 1)); fi
	[ "$i" -ne 0 ] || die "$f: $(id "$f" 0) seals already"
	t=$(tmpfile "$f")
	{
		record "$f" "$i"
		for ((j = 0; j < n; j++)); do [ "$j" -eq "$i" ] || record "$f" "$j"; done
	} >"$t"
	commit "$f" "$t"
	echo "$(id "$f" 0) seals; $(id "$f" 1) only opens"
	;;
retire)
	[ $# -ge 1 ] || usage
	n=$(count "$f")
	drop=" "
	for k in "$@"; do
		i=$(index "$f" "$k")
		[ "$i" -ne 0 ] || die "$f: $k is the sealing key: promote another first"
		drop+="$i "
	done
	t=$(tmpfile "$f")
	for ((j = 0; j < n; j++)); do
		[[ $drop == *" $j "* ]] || record "$f" "$j"
	done >"$t"
	commit "$f" "$t"
	echo "retired $*; $(count "$f") key(s) left"
	;;
list)
	n=$(count "$f")
	for ((i = 0; i < n; i++)); do
		echo "$(id "$f" "$i") $([ "$i" -eq 0 ] && echo seals || echo opens)"
	done
	;;
*)
	usage
	;;
esac
