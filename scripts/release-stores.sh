#!/bin/sh
# release-stores.sh: remake the stores of store/testdata/releases with
# REAL older markd binaries. For each commit below it checks the commit out
# in a temporary worktree, builds its markd, and drives it through a short
# counter day (scripts/releasestores: accounts, a token, ACCEPT, REJECT,
# REUSED, a supervisor's confirmation and override on the review pages, a
# closed batch on the local API when that release had one, every record
# left waiting for a collector), then writes SCHEMA-COMMIT.db.gz and
# SCHEMA-COMMIT.json (what the store holds) for store/releases_test.go and
# e2e/releases_test.go.
#
#   scripts/release-stores.sh                  # the commits below
#   scripts/release-stores.sh 5977585 ...      # others (add them to the README)
#
# Then, for the commits of $HUB_COMMITS and each backend of $HUB_BACKENDS,
# the same day is uploaded by that commit's markd to that commit's markhub
# and the collector's database is written: SQLite to
# hub/sqlitestore/testdata/releases/SCHEMA-COMMIT.db.gz
# (hub/sqlitestore/releases_test.go, e2e/hubreleases_sqlite_test.go),
# PostgreSQL (a private cluster this starts with initdb and pg_ctl in a
# temporary folder, as the tests' hub/hubtest/postgres.go) written by
# pg_dump as plain SQL to hub/pgstore/testdata/releases/SCHEMA-COMMIT.sql.gz
# (hub/pgstore/releases_test.go, e2e/hubreleases_test.go); each with
# SCHEMA-COMMIT.json (what it holds, the distribution key of its bundle).
# markhub before b402ac8 took no --office for a terminal; its databases
# are not made here.
#
#   HUB_ONLY=1 HUB_BACKENDS=postgres scripts/release-stores.sh
#                                  # the PostgreSQL databases alone
#
# Needs: git, go (cgo, a C compiler), ../shared/testdata, and for
# PostgreSQL its server binaries (initdb, pg_ctl, pg_dump: Debian package
# postgresql; $MARKD_PG_BIN names their folder). Run from the repository
# root. The stores differ each run (ids, times): commit them with the
# README updated, never by a test.
set -eu
root=$(git rev-parse --show-toplevel)
cd "$root"
out=store/testdata/releases
testdata=${MARKD_SHARED_TESTDATA:-$root/../shared/testdata}
# 5977585 last before migration 030 (schema 020: no batches, 2026-12-02)
# 2bac27b last before migration 040 (schema 030: marks as JSON, wide used_serials)
# b402ac8 last before migration 060 (schema 051: before slim rows and the writer's triggers)
# afed2b8 last before migration 071 (schema 070: the release before the latest migration)
commits=${*:-5977585 2bac27b b402ac8 afed2b8}
# collectors: b402ac8 (schema 050), 79a1d70 (the first 060: no zone index),
# cb08676 (the second 060: terminals_zone_off), afed2b8 (061)
hubcommits=${HUB_COMMITS-b402ac8 79a1d70 cb08676 afed2b8}
hubbackends=${HUB_BACKENDS-sqlite postgres}
[ "${HUB_ONLY:-0}" = 1 ] && commits=
work=$(mktemp -d)
trap 'for c in $commits $hubcommits; do git worktree remove --force "$work/$c" 2>/dev/null || true; done; rm -rf "$work"' EXIT
mkdir -p "$out"
for c in $commits; do
	git worktree add --detach "$work/$c" "$c" >/dev/null
	(cd "$work/$c" && go build -o "$work/markd-$c" ./cmd/markd)
	schema=$(git ls-tree --name-only "$c" store/migrations/ | sed -n 's|store/migrations/\([0-9]*\)_.*|\1|p' | tail -1)
	short=$(git rev-parse --short=7 "$c")
	rm -f "$out"/*-"$short".db.gz "$out"/*-"$short".json
	go run ./scripts/releasestores -bin "$work/markd-$c" -commit "$short" -out "$out/$schema-$short" -testdata "$testdata"
done
for c in $hubcommits; do
	[ -d "$work/$c" ] || git worktree add --detach "$work/$c" "$c" >/dev/null
	[ -x "$work/markd-$c" ] || (cd "$work/$c" && go build -o "$work/markd-$c" ./cmd/markd)
	(cd "$work/$c" && go build -o "$work/markhub-$c" ./cmd/markhub)
	short=$(git rev-parse --short=7 "$c")
	for b in $hubbackends; do
		case $b in
		sqlite) pkg=sqlitestore ext=db.gz ;;
		postgres) pkg=pgstore ext=sql.gz ;;
		*) echo "HUB_BACKENDS: $b is neither sqlite nor postgres" >&2; exit 2 ;;
		esac
		hubout=hub/$pkg/testdata/releases
		mkdir -p "$hubout"
		schema=$(git ls-tree --name-only "$c" hub/$pkg/migrations/ | sed -n "s|hub/$pkg/migrations/\([0-9]*\)_.*|\1|p" | tail -1)
		rm -f "$hubout"/*-"$short".$ext "$hubout"/*-"$short".json
		go run ./scripts/releasestores -bin "$work/markd-$c" -hub "$work/markhub-$c" -hubdriver "$b" -commit "$short" \
			-out "$work/counter-$b-$short" -hubout "$hubout/$schema-$short" -testdata "$testdata"
		ls -l "$hubout"
	done
done
[ -z "$commits" ] || ls -l "$out"
