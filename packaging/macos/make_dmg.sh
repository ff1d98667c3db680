#!/bin/bash
# Build, sign, notarise and wrap Fieldnote.app in a .dmg on a macOS CI runner (macos-14 or
# later, Python 3.11+). Run from the repository root, unchanged:  bash packaging/macos/make_dmg.sh
#
# Signing and notarisation need these secrets in the environment (the job's secrets):
#   MACOS_SIGNING_IDENTITY  "Developer ID Application: <Service name> (<TEAMID>)", its
#                           certificate already imported into the runner's keychain
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD  an app-specific password for notarytool
# Without MACOS_SIGNING_IDENTITY the app is signed ad hoc and not notarised (fine for a
# test build; Gatekeeper will refuse it on other Macs), and the script says so.
# Produces dist/Fieldnote.app and dist/Fieldnote-<version>.dmg.
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[package]'
.venv/bin/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/fieldnote.spec

APP=dist/Fieldnote.app
VERSION=$(.venv/bin/python -c "import tomllib;print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])")
DMG="dist/Fieldnote-${VERSION}.dmg"

# 1. The build checks itself before anything is signed.
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/Fieldnote" --self-check

# 2. Sign: every library and executable inside first, then the bundle, with the hardened
#    runtime and a secure timestamp (both required for notarisation).
IDENTITY="${MACOS_SIGNING_IDENTITY:--}"
SIGN=(codesign --force --options runtime --timestamp --entitlements packaging/macos/entitlements.plist --sign "$IDENTITY")
[ "$IDENTITY" = "-" ] && SIGN=(codesign --force --sign -)
find "$APP/Contents" -type f \( -name '*.dylib' -o -name '*.so' -o -perm -u+x \) -print0 |
    while IFS= read -r -d '' f; do
        if file "$f" | grep -q 'Mach-O'; then "${SIGN[@]}" "$f"; fi
    done
"${SIGN[@]}" "$APP"
codesign --verify --strict --verbose=2 "$APP"

# 3. The disk image: the app and a link to /Applications to drag it onto.
STAGE=$(mktemp -d)
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Fieldnote" -srcfolder "$STAGE" -fs HFS+ -format UDZO "$DMG"
rm -rf "$STAGE"

if [ "$IDENTITY" = "-" ]; then
    echo "MACOS_SIGNING_IDENTITY is not set: $DMG is signed ad hoc and NOT notarised."
    exit 0
fi
"${SIGN[@]}" "$DMG"

# 4. Notarise with Apple and staple the ticket, so the app opens offline on first launch.
xcrun notarytool submit "$DMG" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
    --password "$APPLE_APP_PASSWORD" --wait
xcrun stapler staple "$DMG"
xcrun stapler validate "$DMG"
spctl --assess --type open --context context:primary-signature --verbose "$DMG"
echo "$DMG: signed, notarised and stapled."
