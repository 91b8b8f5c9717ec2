"""Reading request bodies: the JSON object both fakes accept besides form and query data."""

from __future__ import annotations

from aiohttp import web

from fake_common.models import JSON, bad_request


async def json_object(request: web.Request, unparsable: str, not_an_object: str) -> JSON:
    """The request's JSON body, which must be an object.

    Raises:
        ApiError: 400 "Bad Request: `unparsable`" or "Bad Request: `not_an_object`".
    """
    try:
        body = await request.json()
    except ValueError:
        raise bad_request(unparsable) from None
    if not isinstance(body, dict):
        raise bad_request(not_an_object)
    return body
