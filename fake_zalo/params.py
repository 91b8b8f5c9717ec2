"""Reading Bot API request parameters: query string, JSON, form-encoded or multipart bodies."""

from __future__ import annotations

from aiohttp import web

from fake_common.params import json_object
from fake_zalo.models import JSON


async def read_params(request: web.Request) -> JSON:
    """Merges the query string and the body of a request (the body wins).

    A JSON body must be an object. An uploaded file appears as `{"upload": file name, "size":
    bytes}` (which every method refuses: the API takes URLs only). A numeric `chat_id` is
    turned into a string, as the API's ids are strings.

    Raises:
        ApiError: 400 when a JSON body does not parse or is not an object.
    """
    params: JSON = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await json_object(
                request, "the JSON body does not parse", "the JSON body must be an object"
            )
            params.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = {"upload": value.filename, "size": len(value.file.read())}
                elif isinstance(value, bytes):
                    params[key] = value.decode(errors="replace")
                else:
                    params[key] = value
    chat_id = params.get("chat_id")
    if isinstance(chat_id, int | float) and not isinstance(chat_id, bool):
        params["chat_id"] = str(int(chat_id))
    return params
