#!/usr/bin/env bash
# Compiles the TypeScript client generated from the bundled contract (target/typescript-client) with npm's
# typescript, to prove the contract is usable beyond Java. Run by `./mvnw verify` (platform-api).
set -euo pipefail
target="$1"
client="$target/typescript-client"
tools="$target/typescript-tools"
typescript_version="5.9.3"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIPPED: node/npm not found, the generated TypeScript client is not compiled (install node 20+ to check it)"
  exit 0
fi
if [[ ! -x "$tools/node_modules/.bin/tsc" ]]; then
  echo "installing typescript@$typescript_version into $tools (once per build)"
  mkdir -p "$tools"
  echo '{"private": true}' > "$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "typescript@$typescript_version"
fi
cat > "$client/tsconfig.check.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2020", "module": "ES2020", "moduleResolution": "node", "lib": ["ES2020", "DOM"],
    "strict": true, "noEmit": true, "skipLibCheck": false, "types": []
  },
  "include": ["**/*.ts"],
  "exclude": ["node_modules"]
}
JSON
echo "tsc --noEmit over the generated TypeScript client ($(find "$client" -name '*.ts' | wc -l) files)"
"$tools/node_modules/.bin/tsc" -p "$client/tsconfig.check.json"
echo "TypeScript client compiles"
