"""The declarative base with a naming convention, so migrations name constraints predictably."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, MetaData
from sqlalchemy.orm import DeclarativeBase, MappedColumn, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Discord snowflakes exceed 32 bits; SQLite treats any INTEGER as 64-bit anyway.
Snowflake = BigInteger


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Marks a column that holds a member's Discord id. The privacy registry (bot.privacy) must cover every
# table with one, so a member can export and erase everything about them: a test fails otherwise.
HOLDS_MEMBER_ID = "holds_member_id"


def member_id(**kwargs: Any) -> MappedColumn[Any]:
    """A column holding a member's Discord user id (a snowflake), marked for the privacy registry."""
    return mapped_column(Snowflake, info={HOLDS_MEMBER_ID: True}, **kwargs)
