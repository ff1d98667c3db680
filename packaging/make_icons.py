"""Render assets/fieldnote.svg to the icon files the installers need (run once, committed):
assets/fieldnote.png (256 px, Linux .desktop and the window), packaging/windows/fieldnote.ico
and packaging/macos/fieldnote.icns. Needs PySide6 (QtSvg) and Pillow."""

import io
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent


def render(size: int) -> Image.Image:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(ROOT / "assets" / "fieldnote.svg")).render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data())))


if __name__ == "__main__":
    app = QGuiApplication(sys.argv)
    big = render(1024)
    render(256).save(ROOT / "assets" / "fieldnote.png")
    big.save(
        ROOT / "packaging" / "windows" / "fieldnote.ico",
        sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)],
    )
    big.save(ROOT / "packaging" / "macos" / "fieldnote.icns")
