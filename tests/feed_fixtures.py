"""Meeting Guide feeds to test the importer against: the hand-sized files in tests/data/meeting_guide/feeds, and
a generator of large intergroup feeds in the shape the 12 Step Meeting List plugin serves.

Every name, address, link and number here is invented. See tests/data/meeting_guide/feeds/README.md for which
real code each shape copies.
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

FEEDS_DIR: Final = Path(__file__).parent / "data" / "meeting_guide" / "feeds"
NAMES: Final = ("tsml_plugin", "mixed_formats", "phone_only", "hybrid", "hostile")
# Python refuses to turn more than 4,300 digits into an int (CVE-2020-10735), and hostile.json has a 5,000-digit
# day. load() keeps any integer literal longer than this as its digit string, so a test can still see it.
HUGE_DIGITS: Final = 1000


def path(name: str) -> Path:
    """The fixture file called `name` ("hostile" or "hostile.json")."""
    stem = name.removesuffix(".json")
    if stem not in NAMES:
        raise ValueError(f"no feed fixture {name!r}; there are {', '.join(NAMES)}")
    return FEEDS_DIR / f"{stem}.json"


def raw(name: str) -> bytes:
    """The fixture's bytes, exactly as on disk, for tests that feed the importer what a download would give."""
    return path(name).read_bytes()


def load(name: str) -> list[Any]:
    """The fixture decoded. Rows are left as they are (they are not all objects); integer literals longer than
    HUGE_DIGITS digits stay strings."""
    data = json.loads(raw(name).decode("utf-8"), parse_int=_int_or_digits)
    if not isinstance(data, list):
        raise TypeError(f"{name} should hold a JSON array, not {type(data).__name__}")
    return data


def _int_or_digits(text: str) -> int | str:
    return text if len(text.lstrip("-")) > HUGE_DIGITS else int(text)


def feed_bytes(rows: list[Any], *, php_escapes: bool = True) -> bytes:
    """`rows` as a feed download's bytes.

    By default it is written the way the plugin's wp_send_json() (PHP json_encode with no flags) writes it: no
    spaces, every "/" as "\\/" and every non-ASCII character as a \\uXXXX escape. With php_escapes=False it is
    compact UTF-8 JSON without those escapes.
    """
    if php_escapes:
        # "/" only ever appears inside strings in JSON text, and "\/" is a valid escape for it.
        return json.dumps(rows, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode("ascii")
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------------------------------------------------------
# A large feed in the shape of 12-step-meeting-list's tsml_get_meetings() (includes/functions_get.php)

SITE: Final = "https://rvaa.example"
HOME_ZONE: Final = "America/New_York"
HYBRID_SHARE: Final = 0.10  # of all rows, when online_share leaves room for it
_ENTITY: Final = {
    "entity": "Riverside Valley Intergroup",
    "entity_email": "info@rvaa.example",
    "entity_url": SITE,
}
Town = tuple[str, str, str, float, float, str]  # town, state, postal code, latitude, longitude, county
_TOWNS: Final[tuple[Town, ...]] = (
    ("Wilmington", "DE", "19801", 39.7391, -75.5398, "New Castle County"),
    ("Newark", "DE", "19711", 39.6837, -75.7497, "New Castle County"),
    ("New Castle", "DE", "19720", 39.6621, -75.5663, "New Castle County"),
    ("Middletown", "DE", "19709", 39.4496, -75.7163, "New Castle County"),
    ("Claymont", "DE", "19703", 39.8007, -75.4596, "New Castle County"),
    ("Hockessin", "DE", "19707", 39.7876, -75.6966, "New Castle County"),
    ("Bear", "DE", "19701", 39.6293, -75.6583, "New Castle County"),
    ("Dover", "DE", "19901", 39.1582, -75.5244, "Kent County"),
    ("Smyrna", "DE", "19977", 39.2998, -75.6046, "Kent County"),
    ("Milford", "DE", "19963", 38.9126, -75.4277, "Kent County"),
    ("Lewes", "DE", "19958", 38.7746, -75.1393, "Sussex County"),
    ("Rehoboth Beach", "DE", "19971", 38.7209, -75.0760, "Sussex County"),
    ("Georgetown", "DE", "19947", 38.6901, -75.3855, "Sussex County"),
    ("Seaford", "DE", "19973", 38.6412, -75.6110, "Sussex County"),
    ("Elkton", "MD", "21921", 39.6068, -75.8333, "Cecil County"),
    ("Chester", "PA", "19013", 39.8496, -75.3557, "Delaware County"),
    ("Kennett Square", "PA", "19348", 39.8468, -75.7116, "Chester County"),
    ("Pennsville", "NJ", "08070", 39.6537, -75.5166, "Salem County"),
)
_STREETS: Final = (
    "Main St", "Market St", "Church St", "Maple Ave", "Kirkwood Hwy", "Concord Pike", "Lancaster Ave", "Union St",
    "Philadelphia Pike", "Delaware Ave", "Washington St", "Pennsylvania Ave", "Chestnut St", "Walnut St", "High St",
    "Broad St", "Park Ave", "Bay Rd", "Summit Bridge Rd", "Lincoln Ave", "Front St", "Water St", "Academy St",
)
_SAINTS: Final = ("St. Mark's", "St. Paul's", "St. John's", "St. Andrew's", "St. Luke's", "St. James", "St. Peter's")
_PLACES: Final = (
    "{saint} Episcopal Church", "First Presbyterian Church", "{town} Alano Club", "{town} Senior Center",
    "Grace Lutheran Church", "Hope Lutheran Church", "{town} Public Library", "VFW Post {n}",
    "American Legion Post {n}",
    "{town} United Methodist Church", "{saint} Parish Hall", "Friends Meeting House", "{town} Community Center",
    "Recovery Clubhouse", "Bethel AME Church Fellowship Hall", "Trinity Fellowship Hall",
)
_PLACE_NOTES: Final = (
    "Enter through the side door off the parking lot. The meeting room is downstairs.",
    "Use the rear entrance after 6 pm.",
    "Free parking behind the building.",
    "Second floor; the elevator is at the end of the hall.",
    "Fellowship hall is in the lower level.",
    "Wheelchair ramp on the north side.",
)
_THEMES: Final = (
    "Serenity Seekers", "Big Book Study", "Women's Step Study", "Early Birds", "Keep It Simple", "Came to Believe",
    "Happy Hour", "Lunch Bunch", "Night Owls", "Sunlight of the Spirit", "Attitude Adjustment", "Back to Basics",
    "Into Action", "Acceptance Group", "Steps to Freedom", "Friday Night Live", "Grapevine Discussion",
    "Men's Stag", "Young People's Group", "Candlelight", "Daily Reflections", "Spiritual Awakening",
    "One Day at a Time", "Promises Group", "Primary Purpose", "Design for Living", "Rule 62", "Lamplighters",
    "Language of the Heart", "Bridge the Gap", "Happy Destiny", "Road to Recovery", "There Is a Solution",
    "Broad Highway", "Twelve and Twelve Study", "As Bill Sees It", "Living Sober", "Newcomers Meeting",
    "Beginners Meeting", "Tradition Study", "Noon Meeting", "Sober Sisters", "Eye Openers", "Sunday Serenity",
    "Freethinkers", "Came to Believe Step Study", "Honesty Group", "Hope and Courage", "Welcome Home",
    "Eleventh Step Meditation", "Speaker Meeting", "Women's Big Book", "Saturday Morning Coffee", "Grupo Nueva Vida",
)
_DAY_NAMES: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_NOTES: Final = (
    "Newcomers welcome.",
    "Open discussion.",
    "Side door.",
    "Coffee and literature available.",
    "Speaker last week of the month; anniversary chips at the start of the meeting.",
    "Business meeting after the meeting on the first week of the month.",
    "Please arrive a few minutes early; the door locks once the meeting starts.",
    "Cameras on for the first ten minutes, please.",
    "We read from the Big Book and go around the room. Please keep shares to three minutes.",
    "Childcare in room 4 with advance notice.",
    "Closed portion begins after the break.",
    "Summer only (Memorial Day to Labor Day). Bring a chair.",
    "Reunión en español. Todos son bienvenidos.",
)
_ONLINE_NOTES: Final = (
    "Newcomers welcome.",
    "Open discussion.",
    "Cameras on for the first ten minutes, please.",
    "The waiting room opens five minutes early; please rename yourself with your first name.",
    "Please stay muted unless you are sharing. Raise your hand to share.",
    "Seventh Tradition: see the chat for the group's Venmo.",
    "Reunión en español. Todos son bienvenidos.",
)
_GROUP_NOTES: Final = (
    "Group conscience meets on the last Thursday of each month.",
    "Business meeting first Sunday of the month after the morning meeting.",
    "Contact the group secretary through the intergroup office for service positions.",
)
_AUTHORS: Final = ("webservant", "officemanager", "d4secretary", "d6webchair", "d2gsr", "importer")
_FORMAT_TYPES: Final = ("D", "B", "ST", "SP", "BE", "TR", "LIT", "DR", "GR", "12x12", "MED", "11", "ABSI", "LS", "CAN")
_AUDIENCE_TYPES: Final = ("W", "M", "Y", "LGBTQ", "S", "X", "BA", "SEN", "POC", "A", "XB", "ASL", "BRK", "OUT", "FF")
_OTHER_ZONES: Final = ("America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix", "Europe/London")
_PASSWORD_WORDS: Final = ("serenity", "hope", "recovery", "steps", "unity", "service", "gratitude", "sober")
_TOKEN_CHARS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_EPOCH: Final = datetime(2017, 1, 1, tzinfo=UTC)
_UPDATED_SPAN: Final = int((datetime(2026, 6, 30, tzinfo=UTC) - _EPOCH).total_seconds())
# start hour and weight: morning, noon and evening peaks as in real lists, a few late-night and overnight
_HOUR_WEIGHTS: Final = (1, 1, 1, 1, 1, 2, 10, 14, 9, 6, 8, 5, 16, 6, 3, 3, 5, 12, 16, 20, 24, 9, 5, 3)


def big_feed(rows: int = 5000, *, online_share: float = 0.35, seed: int = 1) -> list[dict[str, Any]]:
    """A deterministic large intergroup feed, row for row in the plugin's output shape.

    `online_share` of the rows (rounded) are online-only (attendance_option "online", approximate address,
    conference_url and often conference_phone, a few phone-only). HYBRID_SHARE more are hybrid when there is room;
    the rest are in person, a few of them temporarily closed ("inactive"). Every row has a unique slug (some over
    64 characters), a day 0-6, an "HH:MM" time, a timezone and an updated timestamp; the plugin's sort order is
    kept. Serialised with feed_bytes() it runs to about 0.9 kB a row (1.8 MB per 2,000 rows): the plugin's
    current shape repeats the site address, entity and region fields on every row.
    """
    if rows < 0:
        raise ValueError("rows must not be negative")
    if not 0.0 <= online_share <= 1.0:
        raise ValueError("online_share must be between 0 and 1")
    rng = random.Random(seed)
    online = round(rows * online_share)
    hybrid = min(rows - online, round(rows * HYBRID_SHARE))
    kinds = ["online"] * online + ["hybrid"] * hybrid + ["in_person"] * (rows - online - hybrid)
    rng.shuffle(kinds)
    place_slugs: set[str] = set()
    places = [_place(rng, 1000 + index, place_slugs) for index in range(max(8, rows // 6))]
    online_places = [_online_place(rng, 900 + index, town) for index, town in enumerate(_TOWNS)]
    groups = [_group(rng, 5000 + index) for index in range(max(4, rows // 5))]
    used: set[str] = set()
    meetings = []
    for index, kind in enumerate(kinds):
        place = rng.choice(online_places if kind == "online" else places)
        meetings.append(_meeting(rng, 10000 + 3 * index + rng.randrange(3), kind, place, groups, used))
    meetings.sort(key=_plugin_order)
    return meetings


def _place(rng: random.Random, location_id: int, used: set[str]) -> dict[str, Any]:
    town, state, postal, lat, lng, county = rng.choice(_TOWNS)
    title = rng.choice(_PLACES).format(saint=rng.choice(_SAINTS), town=town, n=rng.randrange(100, 9999))
    address = f"{rng.randrange(1, 4000)} {rng.choice(_STREETS)}, {town}, {state} {postal}, USA"
    return {
        "location_id": location_id,
        "location": title,
        "location_notes": rng.choice(_PLACE_NOTES) if rng.random() < 0.3 else "",
        "location_url": f"{SITE}/locations/{_unique_slug(_slugify(title), used)}/",
        "formatted_address": address,
        "approximate": "no",
        "latitude": round(lat + rng.uniform(-0.03, 0.03), 7),
        "longitude": round(lng + rng.uniform(-0.03, 0.03), 7),
        "timezone": HOME_ZONE,
        **_regions(rng, town, county),
    }


def _regions(rng: random.Random, town: str, county: str) -> dict[str, Any]:
    """Region fields as tsml_get_locations() writes them: none, a town alone, or a county with the town as
    sub_region."""
    town_id = 30 + [name for name, *_rest in _TOWNS].index(town)
    roll = rng.random()
    if roll < 0.2:  # a location nobody gave a region
        return {}
    if roll < 0.6:
        return {"region_id": town_id, "region": town, "regions": [town]}
    return {"region_id": 100 + town_id, "region": county, "sub_region": town, "regions": [county, town]}


def _online_place(rng: random.Random, location_id: int, town: Town) -> dict[str, Any]:
    name, state, _postal, lat, lng, _county = town
    return {
        "location_id": location_id,
        "location": "Online",
        "location_url": f"{SITE}/locations/online-{location_id - 899}/",
        "formatted_address": f"{name}, {state}, USA",
        "approximate": "yes",
        "latitude": lat,
        "longitude": lng,
        "timezone": HOME_ZONE if rng.random() < 0.85 else rng.choice(_OTHER_ZONES),
        "region_id": 20,
        "region": "Online",
        "regions": ["Online"],
    }


def _group(rng: random.Random, group_id: int) -> dict[str, Any]:
    name = f"{rng.choice(_THEMES)} Group"
    district = rng.randrange(1, 15)
    group: dict[str, Any] = {
        "group_id": group_id,
        "group": name,
        "district": f"District {district}",
        "district_id": 50 + district,
    }
    if rng.random() < 0.3:
        group["group_notes"] = rng.choice(_GROUP_NOTES)
    if rng.random() < 0.2:
        group["website"] = f"https://{_slugify(name)}-{group_id}.example.org"
    if rng.random() < 0.15:
        group["venmo"] = "@" + re.sub(r"[^A-Za-z]", "", name)[:20] + str(group_id)
    return group


def _meeting(rng: random.Random, meeting_id: int, kind: str, place: dict[str, Any], groups: list[dict[str, Any]],
             used: set[str]) -> dict[str, Any]:
    day = rng.randrange(7)
    start = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0] * 60 + rng.choice((0, 0, 0, 0, 15, 30, 30, 30, 45))
    name = _name(rng, day, start, kind, place)
    slug = _unique_slug(_slugify(name), used)
    types = _types(rng, kind)
    row: dict[str, Any] = {
        "id": meeting_id,
        "name": name,
        "slug": slug,
        "notes": " ".join(rng.sample(_ONLINE_NOTES if kind == "online" else _NOTES, rng.choice((1, 1, 2))))
        if rng.random() < 0.25 else "",
        "updated": (_EPOCH + timedelta(seconds=rng.randrange(_UPDATED_SPAN))).strftime("%Y-%m-%d %H:%M:%S"),
        "location_id": place["location_id"],
        "url": f"{SITE}/meetings/{slug}/",
        "day": day,
        "time": _clock(start),
        "end_time": _clock(start + rng.choices((60, 90, 30, 45, 120), weights=(65, 27, 3, 3, 2))[0])
        if rng.random() < 0.98 else "",
        "time_formatted": _formatted(start),
    }
    if kind != "in_person":
        row.update(_conference(rng, phone_only=kind == "online" and rng.random() < 0.05))
    row["types"] = types
    row["author"] = rng.choice(_AUTHORS)
    row.update({key: value for key, value in place.items() if key != "location_id"})
    if rng.random() < 0.3:
        row.update(rng.choice(groups))
    row["attendance_option"] = "inactive" if "TC" in types else kind
    row.update(_ENTITY)
    # tsml_get_meetings() leaves out every empty value
    return {key: value for key, value in row.items() if value not in ("", None, [])}


def _name(rng: random.Random, day: int, start: int, kind: str, place: dict[str, Any]) -> str:
    theme = rng.choice(_THEMES)
    suffix = " (Online)" if kind == "online" else ""
    roll = rng.random()
    if roll < 0.04:
        hour = start // 60
        part = "Morning" if hour < 12 else "Noon" if hour < 14 else "Afternoon" if hour < 17 else "Night"
        town = place["formatted_address"].split(", ")[-3]
        name = f"{_DAY_NAMES[day]} {part} {theme} Group of the Greater {town} Area{suffix}"
        if len(_slugify(name)) <= 64:
            name = f"{_DAY_NAMES[day]} {part} {theme} Step and Tradition Study of the Greater {town} Area{suffix}"
        return name
    if roll < 0.25:
        return f"{_DAY_NAMES[day]} {theme}{suffix}"
    return theme + suffix


def _types(rng: random.Random, kind: str) -> list[str]:
    codes = set(rng.sample(_FORMAT_TYPES, rng.choice((1, 1, 2, 2, 3))))
    if rng.random() < 0.9:
        codes.add("O" if rng.random() < 0.55 else "C")
    if rng.random() < 0.35:
        codes.add(rng.choice(_AUDIENCE_TYPES))
    if "M" in codes and "W" in codes:
        codes.discard("W")
    types = sorted(codes)
    if kind != "in_person":
        types.append("ONL")
    elif rng.random() < 0.015:
        types.append("TC")
    return types


def _conference(rng: random.Random, *, phone_only: bool) -> dict[str, Any]:
    meeting_number = rng.randrange(81_000_000_000, 89_999_999_999)
    spaced = f"{str(meeting_number)[:3]} {str(meeting_number)[3:7]} {str(meeting_number)[7:]}"
    passcode = rng.randrange(100000, 999999)
    fields: dict[str, Any] = {}
    if not phone_only:
        provider = rng.random()
        if provider < 0.85:
            token = "".join(rng.choice(_TOKEN_CHARS) for _ in range(32))
            fields["conference_url"] = f"https://us02web.zoom.us/j/{meeting_number}?pwd={token}.1"
        elif provider < 0.95:
            letters = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10))
            fields["conference_url"] = f"https://meet.google.com/{letters[:3]}-{letters[3:7]}-{letters[7:]}"
        else:
            fields["conference_url"] = f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{meeting_number}"
        if rng.random() < 0.4:
            fields["conference_url_notes"] = (f"Password: {rng.choice(_PASSWORD_WORDS)}" if rng.random() < 0.5
                                              else f"Meeting ID: {spaced} Passcode: {passcode}")
    if phone_only or rng.random() < 0.55:
        # TSML keeps only digits, "+", "," and "#" of a phone number
        if "zoom.us" in fields.get("conference_url", "zoom.us"):
            passcode_digits = f",,,,{passcode}#" if rng.random() < 0.5 else ""
            fields["conference_phone"] = f"+16465588656,,{meeting_number}#{passcode_digits}"
        else:
            fields["conference_phone"] = f"+1302555{rng.randrange(100, 200):04d},,,{passcode}#"
        if rng.random() < 0.6:
            fields["conference_phone_notes"] = f"Meeting ID: {spaced}\nPasscode: {passcode}"
    return fields


def _clock(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _formatted(minutes: int) -> str:
    """tsml_format_time() with WordPress's default time format, "g:i a"."""
    if minutes == 12 * 60:
        return "Noon"
    if minutes == 0:
        return "Midnight"
    hour, minute = divmod(minutes, 60)
    return f"{(hour % 12) or 12}:{minute:02d} {'am' if hour < 12 else 'pm'}"


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "")).strip("-")


def _unique_slug(base: str, used: set[str]) -> str:
    """WordPress's wp_unique_post_slug(): "-2", "-3", ... after a taken slug."""
    slug, number = base, 2
    while slug in used:
        slug, number = f"{base}-{number}", number + 1
    used.add(slug)
    return slug


def _plugin_order(row: dict[str, Any]) -> tuple[int, str, str, str]:
    """tsml_get_meetings()'s usort with the default settings: day, then time ("00:00" last), location, name."""
    time = row.get("time", "")
    return row["day"], "23:59" if time == "00:00" else time, row.get("location", ""), row["name"]
