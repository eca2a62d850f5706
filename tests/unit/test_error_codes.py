"""One enum of codes; each inbound protocol maps every member in its one table."""

import pytest

from agui_runtime.adapters.inbound.agui.errors import STATUS
from agui_runtime.adapters.inbound.graphql.errors import PRESENTATION, presentation
from agui_runtime.application.errors import RequestRejected, UpstreamError
from agui_runtime.domain.errors import ErrorCode


@pytest.mark.parametrize("table", [PRESENTATION, STATUS], ids=["graphql", "v2"])
def test_every_code_is_mapped(table: dict[str, object]) -> None:
    assert set(ErrorCode) - set(table) == set()
    assert set(table) - set(ErrorCode) == set()


def test_codes_are_their_wire_strings() -> None:
    assert all(code == code.name == str(code) == f"{code}" for code in ErrorCode)


def test_a_users_own_code_is_kept_and_ours_become_members() -> None:
    assert RequestRejected("over quota", code="QUOTA_EXCEEDED").code is ErrorCode.QUOTA_EXCEEDED
    assert RequestRejected("no", code="TEAM_LIMIT").code == "TEAM_LIMIT"
    assert RequestRejected("who?").code is ErrorCode.AUTHENTICATION_ERROR
    assert UpstreamError("slow", code="UPSTREAM_TIMEOUT").code is ErrorCode.UPSTREAM_TIMEOUT
    assert presentation("TEAM_LIMIT") == presentation(ErrorCode.UNKNOWN)
