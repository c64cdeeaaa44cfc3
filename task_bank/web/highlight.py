"""Server-side syntax highlighting of verifier code, so reviewers read it highlighted without any JavaScript.

Pygments (a dependency of ``rich``, which envsynth already requires) tokenises the source and escapes every
token; it emits CSS classes only (colours live in ``static/style.css`` and follow the theme), never inline styles,
which the Content-Security-Policy would block. Line numbers sit in a separate column so copying code copies code.
"""

from __future__ import annotations

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer


def highlight_python(source: str) -> Markup:
    """Highlighted, escaped HTML for Python source (the output is safe to insert unescaped)."""
    formatter = HtmlFormatter(cssclass="code", linenos="table", wrapcode=True, nobackground=True)
    return Markup(highlight(source, PythonLexer(), formatter))
