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
# Then, for the commits of $hubcommits, the same day is uploaded by that
# commit's markd to that commit's markhub (SQLite) and the collector's
# database is written to hub/sqlitestore/testdata/releases/SCHEMA-COMMIT
# (hub/sqlitestore/releases_test.go). markhub before b402ac8 took no
# --office for a terminal; its databases are not made here.
#
# Needs: git, go (cgo, a C compiler), ../shared/testdata. Run from the
# repository root. The stores differ each run (ids, times): commit them
# with the README updated, never by a test.
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
hubcommits=${HUB_COMMITS-b402ac8 afed2b8}
hubout=hub/sqlitestore/testdata/releases
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
mkdir -p "$hubout"
for c in $hubcommits; do
	[ -d "$work/$c" ] || git worktree add --detach "$work/$c" "$c" >/dev/null
	[ -x "$work/markd-$c" ] || (cd "$work/$c" && go build -o "$work/markd-$c" ./cmd/markd)
	(cd "$work/$c" && go build -o "$work/markhub-$c" ./cmd/markhub)
	schema=$(git ls-tree --name-only "$c" hub/sqlitestore/migrations/ | sed -n 's|hub/sqlitestore/migrations/\([0-9]*\)_.*|\1|p' | tail -1)
	short=$(git rev-parse --short=7 "$c")
	rm -f "$hubout"/*-"$short".db.gz "$hubout"/*-"$short".json
	go run ./scripts/releasestores -bin "$work/markd-$c" -hub "$work/markhub-$c" -commit "$short" \
		-out "$work/counter-$short" -hubout "$hubout/$schema-$short" -testdata "$testdata"
done
ls -l "$out" "$hubout"
