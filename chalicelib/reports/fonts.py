"""The CJK font embedded in PDFs.

A TrueType font with glyph outlines (reportlab cannot embed CFF-flavoured OpenType such as Noto
CJK) is looked for at ``REPORT_CJK_FONT`` (a path), then at the usual Debian places:
Droid Sans Fallback (``fonts-droid-fallback``, Apache 2.0, 4 MB: too big to commit, so the
local stage and CI install the package; a deployed stage ships it in a Lambda layer that unpacks
it to ``/opt/fonts``, ``infra/cdk/capabilities/api.py``) and WenQuanYi. reportlab embeds only the glyphs a document uses.
Without any, the PDF names Adobe's ``STSong-Light`` CID font instead (not embedded: readers
substitute a local font), and says so in the log.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

__all__ = ["CANDIDATES", "cjk_font"]

CANDIDATES = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/opt/fonts/DroidSansFallbackFull.ttf",  # where a Lambda layer puts it
)
FONT_NAME = "JiazhengCJK"
FALLBACK_CID_FONT = "STSong-Light"


@cache
def cjk_font() -> tuple[str, bool]:
    """(the registered font name, whether it is embedded)."""
    from reportlab.pdfbase import pdfmetrics

    configured = os.environ.get("REPORT_CJK_FONT")
    for candidate in ([configured] if configured else []) + list(CANDIDATES):
        if candidate and Path(candidate).is_file():
            from reportlab.pdfbase.ttfonts import TTFont

            pdfmetrics.registerFont(TTFont(FONT_NAME, candidate, subfontIndex=0))
            return FONT_NAME, True
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    from chalicelib.observability import logger

    logger.warning("no CJK TrueType font found: PDFs name STSong-Light without embedding it")
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID_FONT))
    return FALLBACK_CID_FONT, False
