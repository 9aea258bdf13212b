#!/usr/bin/env bash
# Records the current public API of every package (src/*) as unshipped: adds what the analyzer reports as undeclared
# (RS0016) to PublicAPI.Unshipped.txt and removes what it reports as gone (RS0017). Run it after a deliberate change to
# a public API, then review the diff of the PublicAPI.*.txt files: that diff is the API change.
set -euo pipefail
cd "$(dirname "$0")/.."

for project in src/*/; do
  for file in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -e "$project$file" ] || printf '#nullable enable\n' > "$project$file"
  done
done

# A project that fails on its API blocks the ones built on it, so a few rounds may be needed.
for round in 1 2 3 4 5; do
  log="$(mktemp)"
  dotnet build Messaging.Adapters.sln -c Release -warnaserror -nologo >"$log" 2>&1 && { rm -f "$log"; echo "public API files are up to date"; exit 0; }
  if ! python3 - "$log" <<'PY'
import re, sys, pathlib, collections
added, removed = collections.defaultdict(set), collections.defaultdict(set)
pattern = re.compile(r"error (RS001[67]): Symbol '(.+?)' (?:is not part of the declared|is part of the declared).*\[(.+?\.csproj)\]")
for line in open(sys.argv[1], encoding="utf-8"):
    m = pattern.search(line)
    if m:
        (added if m.group(1) == "RS0016" else removed)[pathlib.Path(m.group(3)).parent].add(m.group(2))
if not added and not removed:
    sys.exit(1)
for project in set(added) | set(removed):
    path = project / "PublicAPI.Unshipped.txt"
    lines = [l for l in path.read_text(encoding="utf-8").splitlines() if l and not l.startswith("#")]
    entries = (set(lines) | added[project]) - removed[project]
    path.write_text("#nullable enable\n" + "".join(e + "\n" for e in sorted(entries, key=str.casefold)), encoding="utf-8")
    print(f"{path}: +{len(added[project])} -{len(removed[project] & set(lines))}")
PY
  then
    echo "the build fails for another reason than the public API:" >&2
    grep -E " error " "$log" | sort -u | head -20 >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
done
echo "public API files did not settle after 5 rounds" >&2
exit 1
