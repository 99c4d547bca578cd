"""MkDocs hook: show Sphinx cross-reference roles in docstrings as plain code.

Some docstrings write ``:func:`solve```; mkdocstrings renders that literally as
":func:" followed by the code span. This drops the role prefix from the HTML.
"""

import re

_ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj):(?=<code>)")


def on_page_content(html, **kwargs):
    return _ROLE.sub("", html)
