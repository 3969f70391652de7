"""The declarative base with a naming convention, so migrations name constraints predictably."""

from __future__ import annotations

from sqlalchemy import BigInteger, MetaData
from sqlalchemy.orm import DeclarativeBase

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
