"""Reach-out on real databases: routing to volunteers on call within their limits, the ladder, one winner
per claim, cooldowns and blocks, figures, and an anonymous requester who is never stored in plain."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import privacy
from bot.db.models import ReachoutPing
from bot.scheduler import Scheduler
from bot.services import anonymity, guild_config
from bot.services.errors import DomainError, InvalidInput
from bot.services.guild_config import ChannelPurpose, RolePurpose
from bot.services.reachout import figures, requests, roster
from bot.services.reachout import settings as reach_settings
from bot.services.reachout.requests import AlreadyTaken, RequestRefused
from tests.raw_database import assert_id_not_stored, assert_not_stored, assert_stored

Sessions = async_sessionmaker[AsyncSession]

GUILD, OTHER_GUILD = 7001, 7002
MODERATOR, ASKER = 7100, 412_345_678_901_234_599
VOLUNTEERS = [7201, 7202, 7203, 7204, 7205]
NOW = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # a Tuesday evening
SECRET = "I want to drink tonight and I am scared"


@pytest.fixture
async def server(sessions: Sessions, bot_key: bytes) -> Scheduler:
    """A server set up for reach-out, five volunteers on call now, and the job queue."""
    async with sessions.begin() as session:
        await guild_config.set_channels(session, GUILD, MODERATOR, {ChannelPurpose.REACHOUT: 555})
        await guild_config.set_roles(session, GUILD, MODERATOR, {RolePurpose.MODERATOR: 666})
        for user_id in VOLUNTEERS:
            await roster.join(session, GUILD, user_id)
            await roster.available(session, GUILD, user_id, NOW - timedelta(hours=1))
    return Scheduler(sessions)


async def ask(sessions: Sessions, scheduler: Scheduler, *, who: int = ASKER, message: str | None = SECRET,
              anonymous: bool = True, kind: str = "talk", at: datetime = NOW) -> requests.Opened:
    async with requests.turn(GUILD), sessions.begin() as session:
        return await requests.open_request(session, scheduler, GUILD, who, message, kind, anonymous, at)


async def test_volunteers_on_call_are_pinged_least_recently_pinged_first_never_the_asker(
    sessions: Sessions, server: Scheduler
) -> None:
    async with sessions.begin() as session:
        await roster.away(session, GUILD, VOLUNTEERS[0])
        await roster.set_hours(session, GUILD, VOLUNTEERS[1], "Mon 09:00-10:00", "Europe/London")  # not now
    first = await ask(sessions, server, who=VOLUNTEERS[2])  # a volunteer may need support too
    assert first.pinged == [VOLUNTEERS[3], VOLUNTEERS[4]]
    assert not first.alert_moderators
    second = await ask(sessions, server, who=ASKER, at=NOW + timedelta(minutes=1))
    assert second.pinged == [VOLUNTEERS[2], VOLUNTEERS[3], VOLUNTEERS[4]]  # never pinged before goes first
    third = await ask(sessions, server, who=ASKER + 1, at=NOW + timedelta(minutes=2))
    assert third.pinged[0] == VOLUNTEERS[2]  # pinged once, longest ago of the three
    jobs = await server.jobs("reachout:")
    assert {j.key for j in jobs} == {f"reachout:{o.request.id}:step:1" for o in (first, second, third)}
    assert all(j.due_at == o.request.created_at + timedelta(minutes=5)
               for j, o in zip(sorted(jobs, key=lambda j: j.key), sorted((first, second, third),
                                                                         key=lambda o: str(o.request.id)),
                               strict=True))


async def test_nobody_on_call_goes_straight_to_the_moderators(sessions: Sessions, server: Scheduler) -> None:
    async with sessions.begin() as session:
        for user_id in VOLUNTEERS:
            await roster.away(session, GUILD, user_id)
    opened = await ask(sessions, server)
    assert opened.pinged == [] and opened.alert_moderators and opened.moderator_role_id == 666
    [job] = await server.jobs("reachout:")
    assert job.key == f"reachout:{opened.request.id}:step:3"
    assert job.due_at == NOW + timedelta(minutes=15)


async def test_limits_hold_even_when_many_ask_at_once(sessions: Sessions, server: Scheduler) -> None:
    async with sessions.begin() as session:
        await reach_settings.change(session, GUILD, MODERATOR, daily_pings=2, cooldown_minutes=0)
    opened = await asyncio.gather(*(ask(sessions, server, who=9000 + n, at=NOW + timedelta(seconds=n))
                                    for n in range(8)))
    async with sessions() as session:
        pings = list(await session.scalars(select(ReachoutPing.volunteer_id)))
    assert max(pings.count(v) for v in VOLUNTEERS) == 2  # 5 volunteers x 2 pings a day: 10 pings, never more
    assert len(pings) == 10
    assert sum(o.alert_moderators for o in opened) == 8 - 4  # 3 + 3 + 3 + 1: the fifth on has nobody left


async def test_a_volunteer_holding_their_limit_is_not_pinged(sessions: Sessions, server: Scheduler) -> None:
    held = await ask(sessions, server, who=ASKER)
    async with requests.turn(GUILD), sessions.begin() as session:
        await requests.claim(session, server, held.request.id, held.pinged[0], NOW + timedelta(minutes=1))
    other = await ask(sessions, server, who=ASKER + 1, at=NOW + timedelta(minutes=2))
    assert held.pinged[0] not in other.pinged


async def test_a_cooldown_and_a_waiting_request_stop_repeats(sessions: Sessions, server: Scheduler) -> None:
    opened = await ask(sessions, server)
    with pytest.raises(RequestRefused, match=f"request #{opened.request.id} is still waiting"):
        await ask(sessions, server, at=NOW + timedelta(minutes=1))
    async with requests.turn(GUILD), sessions.begin() as session:
        await requests.claim(session, server, opened.request.id, opened.pinged[0], NOW + timedelta(minutes=2))
    with pytest.raises(RequestRefused, match="You can ask again in 7 minutes"):
        await ask(sessions, server, at=NOW + timedelta(minutes=3))
    again = await ask(sessions, server, at=NOW + timedelta(minutes=10))
    assert again.request.id != opened.request.id


async def test_words_that_cannot_be_sent_store_nothing(sessions: Sessions, server: Scheduler) -> None:
    for message, says in [("x" * 1001, "keep it to 1,000"), ("<@123> help", "without @mentions"),
                          ("tell @everyone", "without @mentions")]:
        with pytest.raises(InvalidInput, match=says):
            await ask(sessions, server, message=message)
    with pytest.raises(InvalidInput, match="Choose what you need"):
        await ask(sessions, server, kind="chat")
    assert await server.jobs("reachout:") == []


async def test_a_blocked_author_is_refused_and_nobody_learns_who_it_is(sessions: Sessions, server: Scheduler,
                                                                     engine: AsyncEngine) -> None:
    opened = await ask(sessions, server)
    async with sessions.begin() as session:
        assert await requests.block_author(session, GUILD, opened.request.id, MODERATOR)
        assert not await requests.block_author(session, GUILD, opened.request.id, MODERATOR)
    with pytest.raises(RequestRefused, match="can't send requests in this server"):
        await ask(sessions, server, at=NOW + timedelta(hours=1))
    await ask(sessions, server, who=ASKER + 1, at=NOW + timedelta(hours=1))  # others still can
    await assert_id_not_stored(engine, ASKER)
    async with sessions.begin() as session:
        assert await requests.unblock_author(session, GUILD, opened.request.id, MODERATOR)
        with pytest.raises(DomainError, match="no request #999999"):
            await requests.block_author(session, GUILD, 999_999, MODERATOR)


async def test_two_claims_at_the_same_instant_have_one_winner(sessions: Sessions, server: Scheduler) -> None:
    opened = await ask(sessions, server)
    first, second = opened.pinged[:2]

    async def take(volunteer: int) -> int | str:
        try:
            async with sessions.begin() as session:  # no turn held: as two processes would
                claimed = await requests.claim(session, server, opened.request.id, volunteer, NOW)
                await asyncio.sleep(0.05)  # hold the transaction open while the other tries
                return claimed.request.claimed_by or 0
        except AlreadyTaken as taken:
            return f"taken by {taken.claimed_by}"

    results = await asyncio.gather(take(first), take(second))
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1
    assert results.count(f"taken by {winners[0]}") == 1
    assert await server.jobs("reachout:") == []  # the ladder stopped


async def test_who_may_take_a_request(sessions: Sessions, server: Scheduler) -> None:
    opened = await ask(sessions, server, who=VOLUNTEERS[0], anonymous=True)
    async with sessions.begin() as session:
        with pytest.raises(DomainError, match="your own request"):
            await requests.claim(session, server, opened.request.id, VOLUNTEERS[0], NOW)
    async with sessions.begin() as session:
        with pytest.raises(DomainError, match="not on this server's volunteer roster"):
            await requests.claim(session, server, opened.request.id, 424242, NOW)
    async with sessions.begin() as session:
        claimed = await requests.claim(session, server, opened.request.id, MODERATOR, NOW, moderator=True)
    assert claimed.request.claimed_by == MODERATOR and claimed.requester_id == VOLUNTEERS[0]


async def test_the_ladder_pings_others_then_sets_away_who_lets_pings_pass(sessions: Sessions,
                                                                         server: Scheduler) -> None:
    async with sessions.begin() as session:
        await reach_settings.change(session, GUILD, MODERATOR, ping_count=2, missed_before_away=1)
    opened = await ask(sessions, server)
    assert opened.pinged == VOLUNTEERS[:2]
    async with requests.turn(GUILD), sessions.begin() as session:
        step = await requests.escalate(session, opened.request.id, requests.NEXT_VOLUNTEERS,
                                       NOW + timedelta(minutes=5))
    assert step is not None and step.pinged == VOLUNTEERS[2:4]
    assert step.set_away == VOLUNTEERS[:2]  # one missed ping is this server's limit
    async with sessions() as session:
        assert (await roster.get(session, GUILD, VOLUNTEERS[0])).status == "away"
    async with requests.turn(GUILD), sessions.begin() as session:
        moderators = await requests.escalate(session, opened.request.id, requests.MODERATORS,
                                             NOW + timedelta(minutes=10))
        told = await requests.escalate(session, opened.request.id, requests.TELL_REQUESTER,
                                       NOW + timedelta(minutes=15))
    assert moderators is not None and moderators.moderator_role_id == 666
    assert told is not None and told.requester_id == ASKER  # decrypted for the DM, in memory only
    async with requests.turn(GUILD), sessions.begin() as session:
        assert await requests.escalate(session, opened.request.id, requests.TELL_REQUESTER, NOW) is None  # done


async def test_the_conversation_is_between_its_two_sides_until_closed(sessions: Sessions, server: Scheduler) -> None:
    opened = await ask(sessions, server)
    volunteer = opened.pinged[0]
    async with sessions.begin() as session:
        await requests.claim(session, server, opened.request.id, volunteer, NOW)
    async with sessions() as session:
        assert (await requests.conversation(session, opened.request.id, ASKER)).side == "requester"
        talk = await requests.conversation(session, opened.request.id, volunteer)
        assert talk.side == "volunteer" and talk.requester_id == ASKER
        with pytest.raises(DomainError, match="between the person who asked"):
            await requests.conversation(session, opened.request.id, opened.pinged[1])
    async with sessions.begin() as session:
        await requests.close(session, server, opened.request.id, ASKER, NOW + timedelta(minutes=30))
        await requests.feedback(session, opened.request.id, ASKER, helped=True)
        with pytest.raises(DomainError, match="Only the person who asked"):
            await requests.feedback(session, opened.request.id, volunteer, helped=False)
    async with sessions() as session:
        with pytest.raises(DomainError, match="is closed"):
            await requests.conversation(session, opened.request.id, volunteer)
        assert (await requests.get(session, opened.request.id)).outcome == "helped"


async def test_an_anonymous_asker_and_their_words_are_not_in_the_database(sessions: Sessions, server: Scheduler,
                                                                        engine: AsyncEngine) -> None:
    named = await ask(sessions, server, who=ASKER + 7, message="A named request, readable by volunteers",
                      anonymous=False)
    await ask(sessions, server)
    await assert_id_not_stored(engine, ASKER)
    await assert_not_stored(engine, SECRET)
    await assert_not_stored(engine, "A named request, readable by volunteers")  # every message is encrypted
    await assert_stored(engine, anonymity.author_key(ASKER))  # the keyed code that stands for them
    assert named.request.requester_id == ASKER + 7


async def test_figures_count_and_time_without_saying_who(sessions: Sessions, server: Scheduler) -> None:
    async with sessions.begin() as session:
        await reach_settings.change(session, GUILD, MODERATOR, cooldown_minutes=0)
    waits = [2, 4, 6, 30]
    for n, minutes in enumerate(waits):
        opened = await ask(sessions, server, who=9100 + n, at=NOW - timedelta(days=1, hours=n))
        async with sessions.begin() as session:
            await requests.claim(session, server, opened.request.id, opened.pinged[0],
                                 opened.request.created_at + timedelta(minutes=minutes))
            await requests.close(session, server, opened.request.id, opened.pinged[0], NOW)
    await ask(sessions, server, who=9200)  # still waiting
    async with sessions() as session:
        [this_week, *earlier] = await figures.by_week(session, GUILD, NOW, weeks=2)
    assert this_week.requests == 5 and this_week.unclaimed == 1
    assert this_week.median_to_claim == timedelta(minutes=4) and this_week.p90_to_claim == timedelta(minutes=30)
    assert earlier[0].requests == 0


async def test_deleting_a_requesters_data_leaves_no_link_to_them(sessions: Sessions, server: Scheduler,
                                                               engine: AsyncEngine) -> None:
    opened = await ask(sessions, server)
    async with sessions() as session:
        exported = await privacy.export_member(session, ASKER)
    [asked] = exported["areas"]["Reach-out"]["requests_you_made"]
    assert asked["message"] == SECRET and asked["anonymous"] is True
    async with sessions.begin() as session:
        await privacy.forget_member(session, ASKER)
        await privacy.forget_member(session, opened.pinged[0])
    async with sessions() as session:
        gone = await requests.get(session, opened.request.id)
        again = await privacy.export_member(session, ASKER)
        assert await roster.get(session, GUILD, opened.pinged[0]) is None
    assert gone.message is None and gone.author_key is None and gone.state == "closed"
    assert again["areas"]["Reach-out"]["requests_you_made"] == []
    await assert_id_not_stored(engine, opened.pinged[0])


async def test_requests_that_arrive_together_are_routed_together_in_order(sessions: Sessions,
                                                                        server: Scheduler) -> None:
    """The router opens what arrives while a routing runs in the next one: limits hold, and each answer
    (a request, or why not) reaches the one who asked."""
    from bot import clock
    from bot.services.reachout.router import Router

    async with sessions.begin() as session:
        await reach_settings.change(session, GUILD, MODERATOR, daily_pings=1, ping_count=1)
    router = Router(sessions, server, clock.now)
    asks = [requests.Ask(9300 + n, f"request {n}", "talk", False) for n in range(7)]
    asks.append(requests.Ask(9300, "the first asker again", "talk", False))  # still waiting: refused
    answers = await asyncio.gather(*(router.open(GUILD, ask) for ask in asks), return_exceptions=True)
    opened = [a for a in answers if isinstance(a, requests.Opened)]
    assert [o.request.message for o in opened] == [f"request {n}" for n in range(7)]
    assert [o.pinged for o in opened[:5]] == [[v] for v in VOLUNTEERS]  # one each, in order of arrival
    assert all(o.alert_moderators for o in opened[5:])  # every volunteer reached today's limit
    assert isinstance(answers[-1], RequestRefused) and "still waiting" in answers[-1].message
