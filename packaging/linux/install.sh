#!/bin/sh
# Install Fieldnote for this user only (no root): the app in ~/.local/opt/fieldnote, a
# launcher in ~/.local/bin, and a menu entry with its icon. Run from the unpacked tarball.
# `./install.sh --uninstall` removes them again; the data folder (~/.local/share/fieldnote)
# is left alone unless you delete it yourself.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix="${XDG_DATA_HOME:-$HOME/.local/share}"
opt="$HOME/.local/opt/fieldnote"
if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$opt" "$HOME/.local/bin/fieldnote" "$prefix/applications/fieldnote.desktop" \
        "$prefix/icons/hicolor/256x256/apps/fieldnote.png"
    echo "Fieldnote removed. Your data folder was kept."
    exit 0
fi
mkdir -p "$opt" "$HOME/.local/bin" "$prefix/applications" "$prefix/icons/hicolor/256x256/apps"
rm -rf "$opt/Fieldnote"
cp -R "$here/Fieldnote" "$opt/Fieldnote"
ln -sf "$opt/Fieldnote/Fieldnote" "$HOME/.local/bin/fieldnote"
cp "$here/fieldnote.png" "$prefix/icons/hicolor/256x256/apps/fieldnote.png"
sed -e "s|@EXEC@|$opt/Fieldnote/Fieldnote|" -e "s|@ICON@|fieldnote|" \
    "$here/fieldnote.desktop" > "$prefix/applications/fieldnote.desktop"
echo "Fieldnote installed: find it in your applications menu, or run 'fieldnote'."
