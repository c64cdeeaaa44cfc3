"""The routers: the HTML pages, the environments pages, and the JSON API.

Ids in routes are ``{name:id}``: the decoded id whole, any character included. Why not Starlette's ``path``: its
pattern (``.*``) stops at a line break, so a task whose id held ``\\n`` was listed and linked (``%0A``) but its page
and API row answered 404 (red-team round 30). Registered here, before any router is built; Starlette keeps its
convertors in one table, so the name is ours (``id``) and registering it again changes nothing.
"""

from __future__ import annotations

from starlette.convertors import CONVERTOR_TYPES, Convertor, register_url_convertor


class IdConvertor(Convertor[str]):
    """A path parameter that takes the rest of the path, line breaks included."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


if "id" not in CONVERTOR_TYPES:
    register_url_convertor("id", IdConvertor())
