"""The regular expressions that bot.datetext reads dates and times with (on folded text)."""

from __future__ import annotations

import re

_PERIOD = r"sang|trua|chieu|toi|dem|khuya"
_TIME = re.compile(
    rf"(?<![\w:./-])(?:(?P<pre>{_PERIOD})\s*)?(?P<h>\d{{1,2}})"
    r"(?:\s*(?:gio|h|g)(?:\s*(?P<m1>\d{1,2})(?:\s*(?:phut|p))?|\s*(?P<half1>ruoi))?"
    r"|\s*:\s*(?P<m2>\d{2})|\.(?P<m3>\d{2})|\s*(?P<half2>ruoi)"
    rf"|(?=\s*(?:[ap]\.?m|{_PERIOD})(?!\w)))"
    rf"(?:\s*(?P<ap>[ap])\.?m\.?|\s*(?P<post>{_PERIOD}))?(?![\w:])"
)
_WORD_TIME = re.compile(r"(?<!\w)(?:(?P<noon>(?:12\s*)?noon|midday)|midnight|nua dem)(?!\w)")
_BARE_DAY = re.compile(r"(?:ngay\s*)?(?P<d>\d{1,2})(?:st|nd|rd|th)?")
_BARE_HOUR = re.compile(r"\d{1,2}")
_FILLERS = re.compile(r"(?<!\w)(?:vao|luc|hoi|ngay|buoi|at|on|the)(?!\w)|[,;]")

_ISO = re.compile(r"(?<![\w/.:-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\w/.:-])")
_NUMERIC = re.compile(
    r"(?<![\w/.:-])(?:ngay\s*)?(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})"
    r"(?:(?P=sep)(?P<y>\d{4}|\d{2}))?(?![\w/.:-])"
)
_VN_YEAR = r"(?:\s*,?\s*(?:nam\s*(?P<y>\d{4}|\d{2})|(?P<y4>\d{4})))?(?![\w:])"
_VN_DM = re.compile(rf"(?<!\w)(?:ngay\s*)?(?P<d>\d{{1,2}})\s*thang\s*(?P<m>\d{{1,2}}){_VN_YEAR}")
_VN_MD = re.compile(rf"(?<!\w)thang\s*(?P<m>\d{{1,2}})\s*,?\s*ngay\s*(?P<d>\d{{1,2}}){_VN_YEAR}")
_VN_REL_MONTH = re.compile(
    r"(?<!\w)(?:ngay\s*)?(?P<d>\d{1,2})\s*thang\s*(?P<rel>nay|sau|toi)(?!\w)"
)
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_EN_YEAR = r"(?:,?\s*(?P<y>\d{4}))?(?![\w:])"
_EN_DM = re.compile(rf"(?<!\w)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:of\s+)?{_MONTH}{_EN_YEAR}")
_EN_MD = re.compile(rf"(?<!\w){_MONTH}\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?{_EN_YEAR}")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAY = re.compile(
    r"(?<!\w)(?:(?P<next>next)\s+)?"
    r"(?:thu\s*(?P<vn>[2-7]|hai|ba|tu|nam|sau|bay)|t(?P<short>[2-7])|(?P<cn>chu\s*nhat|cn)"
    r"|(?P<en>monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu"
    r"|friday|fri|saturday|sat|sunday|sun))(?!\w)"
    r"(?:\s+(?P<week>tuan\s+(?:sau|toi|nay)|next\s+week|this\s+week))?(?!\w)"
)
_VN_WEEKDAYS = {"hai": 0, "ba": 1, "tu": 2, "nam": 3, "sau": 4, "bay": 5}
_EN_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RELATIVE = re.compile(
    r"(?<!\w)(?:(?P<d0>hom\s+nay|bua\s+nay|today|nay)|(?P<d1>ngay\s+mai|tomorrow|tmr|mai)"
    r"|(?P<d2>ngay\s+mot|ngay\s+kia|(?:the\s+)?day\s+after\s+tomorrow|mot))(?!\w)"
)

# Hours accepted with each period of the day, and what they become on the 24-hour clock.
_PERIOD_HOURS: dict[str, dict[int, int]] = {
    "": {h: h for h in range(24)},
    "a": {**{h: h for h in range(1, 12)}, 12: 0},
    "p": {**{h: h + 12 for h in range(1, 12)}, 12: 12},
    "sang": {h: h for h in range(12)},
    "trua": {11: 11, 12: 12, 1: 13, 2: 14, 13: 13, 14: 14},
    "chieu": {**{h: h + 12 for h in range(1, 7)}, 12: 12, **{h: h for h in range(13, 19)}},
    "toi": {**{h: h + 12 for h in range(6, 12)}, **{h: h for h in range(18, 24)}},
    "dem": {0: 0, 12: 0, **{h: h for h in (1, 2, 3, 4, 5, 21, 22, 23)}, 9: 21, 10: 22, 11: 23},
}
_PERIOD_HOURS["khuya"] = _PERIOD_HOURS["dem"]
_MONTH_END = re.compile(
    r"(?<!\w)(?:cuoi\s+thang(?:\s+(?P<vn>nay|sau|toi))?"
    r"|end\s+of\s+(?:the\s+)?(?:(?P<en>this|next)\s+)?month)(?!\w)"
)
