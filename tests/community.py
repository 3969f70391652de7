"""A recovery group's server in the Discord double: roles, channels and the people in them.

Both the in-process cog tests and the end-to-end tests build this world, so a scenario reads the
same in either layer: `community.manager` runs `/setup`, `community.alice` asks for help.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.discord_double import Channel, DiscordDouble, Guild, InteractionResult, Member, Overwrite, P, Role


@dataclass
class Community:
    double: DiscordDouble
    guild: Guild
    volunteer_role: Role
    facilitator_role: Role
    moderator_role: Role
    manager: Member  # has Manage Server
    volunteer: Member
    facilitator: Member
    alice: Member  # two members
    bob: Member
    general: Channel
    announcements: Channel
    checkins: Channel
    reachout: Channel
    meetings_log: Channel
    meeting_room: Channel  # a voice channel

    async def configure(self) -> None:
        """Point the bot at this server's channels and roles, the way a manager would."""
        channels = await self.double.invoke("config channels", user=self.manager, channel=self.general, options={
            "announcements": self.announcements, "checkins": self.checkins,
            "reachout": self.reachout, "meetings-log": self.meetings_log,
        })
        roles = await self.double.invoke("config roles", user=self.manager, channel=self.general, options={
            "volunteer": self.volunteer_role, "facilitator": self.facilitator_role,
            "moderator": self.moderator_role,
        })
        for result in (channels, roles):
            assert result.content and "saved" in result.content, result.content

    async def run(self, command: str, *, user: Member | None = None, **options: object) -> InteractionResult:
        """`/command` as `user` (the manager by default) in #general."""
        return await self.double.invoke(command, user=user or self.manager, channel=self.general, options=options)


def build_community(double: DiscordDouble, name: str = "Recovery Circle") -> Community:
    guild = double.add_guild(name)
    admin_role = double.add_role(guild, "Server Admin", permissions=int(P.MANAGE_GUILD))
    volunteer_role = double.add_role(guild, "Volunteer")
    facilitator_role = double.add_role(guild, "Facilitator")
    moderator_role = double.add_role(guild, "Moderator")

    def person(username: str, *roles: Role) -> Member:
        return double.add_member(guild, double.add_user(username), roles=roles)

    private_to_volunteers = [
        Overwrite(id=guild.id, type=0, allow=0, deny=int(P.VIEW_CHANNEL)),
        Overwrite(id=volunteer_role.id, type=0, allow=int(P.VIEW_CHANNEL), deny=0),
        Overwrite(id=moderator_role.id, type=0, allow=int(P.VIEW_CHANNEL), deny=0),
        Overwrite(id=guild.bot_role_id, type=0, allow=int(P.VIEW_CHANNEL | P.SEND_MESSAGES), deny=0),
    ]
    return Community(
        double=double,
        guild=guild,
        volunteer_role=volunteer_role,
        facilitator_role=facilitator_role,
        moderator_role=moderator_role,
        manager=person("morgan-manager", admin_role, moderator_role),
        volunteer=person("val-volunteer", volunteer_role),
        facilitator=person("fran-facilitator", facilitator_role),
        alice=person("alice"),
        bob=person("bob"),
        general=double.add_channel(guild, "general"),
        announcements=double.add_channel(guild, "announcements"),
        checkins=double.add_channel(guild, "check-ins"),
        reachout=double.add_channel(guild, "reach-out", overwrites=private_to_volunteers),
        meetings_log=double.add_channel(guild, "meetings-log"),
        meeting_room=double.add_channel(guild, "Meeting Room", type=2),
    )
