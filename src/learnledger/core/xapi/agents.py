"""Agents, Groups, accounts and authorities (xAPI Data 2.4.2 and 2.4.9)."""

from __future__ import annotations

from typing import Any

from learnledger.core.xapi.checks import (
    Check,
    Invalid,
    check_constant,
    check_fields,
    check_iri,
    check_irl,
    check_str,
    require,
    wrong_type,
)
from learnledger.core.xapi.formats import is_mbox, is_sha1_hex

#: The four inverse functional identifiers of an Agent or identified Group.
IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")


def check_mbox(value: object) -> None:
    """A ``mailto:`` IRI with one e-mail address."""
    if type(value) is not str:
        raise wrong_type("a string", value)
    if not is_mbox(value):
        raise Invalid("must be a mailto IRI, e.g. mailto:ann@example.com")


def check_mbox_sha1sum(value: object) -> None:
    """The hex SHA-1 digest of a mailto IRI."""
    if type(value) is not str:
        raise wrong_type("a string", value)
    if not is_sha1_hex(value):
        raise Invalid("must be a hex-encoded SHA-1 digest (40 hex digits)")


_ACCOUNT_FIELDS: dict[str, Check] = {"homePage": check_irl, "name": check_str}


def check_account(value: object) -> None:
    """An account: ``homePage`` IRL and ``name``, both required."""
    if type(value) is not dict:
        raise wrong_type("an object", value)
    check_fields(value, _ACCOUNT_FIELDS)
    require(value, "homePage", "name")


def _ifi_count(obj: dict[str, Any]) -> int:
    return ("mbox" in obj) + ("mbox_sha1sum" in obj) + ("openid" in obj) + ("account" in obj)


_AGENT_FIELDS: dict[str, Check] = {
    "objectType": check_constant("Agent"),
    "name": check_str,
    "mbox": check_mbox,
    "mbox_sha1sum": check_mbox_sha1sum,
    "openid": check_iri,
    "account": check_account,
}


def check_agent(value: object) -> None:
    """An Agent: optional ``objectType: "Agent"``, a name, exactly one IFI."""
    if type(value) is not dict:
        raise wrong_type("an Agent object", value)
    if value.get("objectType") == "Group":
        raise Invalid("must be an Agent, not a Group").at("objectType")
    check_fields(value, _AGENT_FIELDS)
    if _ifi_count(value) != 1:
        raise Invalid("an Agent needs exactly one of mbox, mbox_sha1sum, openid, account")


def _check_members(value: object) -> None:
    if type(value) is not list:
        raise wrong_type("an array of Agents", value)
    for index, member in enumerate(value):
        try:
            if type(member) is dict and member.get("objectType") == "Group":
                raise Invalid("a Group cannot be a member of a Group").at("objectType")
            check_agent(member)
        except Invalid as exc:
            raise exc.at(index) from None


_GROUP_FIELDS: dict[str, Check] = {
    **_AGENT_FIELDS,
    "objectType": check_constant("Group"),
    "member": _check_members,
}


def check_group(value: object) -> None:
    """A Group: ``objectType: "Group"``; identified (one IFI) or anonymous (members only)."""
    if type(value) is not dict:
        raise wrong_type("a Group object", value)
    check_fields(value, _GROUP_FIELDS)
    require(value, "objectType")
    count = _ifi_count(value)
    if count == 0:
        members = value.get("member")
        if not members:
            raise Invalid("an anonymous Group needs a non-empty member list").at("member")
    elif count > 1:
        raise Invalid("a Group has at most one of mbox, mbox_sha1sum, openid, account")


def check_actor(value: object) -> None:
    """An Agent, or a Group when ``objectType`` is ``"Group"``."""
    if type(value) is not dict:
        raise wrong_type("an Agent or Group object", value)
    if value.get("objectType") == "Group":
        check_group(value)
    else:
        check_agent(value)


def check_authority(value: object) -> None:
    """An Agent, or (3-legged OAuth) an anonymous Group of exactly two Agents."""
    if type(value) is not dict:
        raise wrong_type("an Agent or Group object", value)
    if value.get("objectType") != "Group":
        check_agent(value)
        return
    check_group(value)
    if _ifi_count(value) != 0:
        raise Invalid("a Group authority must be anonymous (OAuth consumer and user)")
    if len(value["member"]) != 2:
        raise Invalid("a Group authority has exactly two members").at("member")
