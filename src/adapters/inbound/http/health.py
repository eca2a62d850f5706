"""Liveness and readiness under the runtime path."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from agui_runtime.application.errors import ApplicationError

logger = logging.getLogger("agui_runtime.health")


def health_router(path: str, probe: Callable[[], Awaitable[None]]) -> APIRouter:
    """`GET {path}/health` answers while the process serves; `GET {path}/ready` only while `probe`
    (the store) answers too, so a load balancer stops routing to a replica that lost its database."""
    router = APIRouter()

    @router.get(f"{path}/health", include_in_schema=False)
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @router.get(f"{path}/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        try:
            await probe()
        except ApplicationError as exc:
            logger.warning("not ready: %s", exc.message)
            return JSONResponse({"status": "unavailable", "code": exc.code, "reason": exc.message}, status_code=503)
        return JSONResponse({"status": "ready"})

    return router
