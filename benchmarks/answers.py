"""What bounding X's answers costs: parse_json (size and depth checked) against bare json.loads.

    python benchmarks/answers.py               # a 40-post timeline page, best of 5 rounds
    python benchmarks/answers.py --posts 200 --repeat 3

Every answer of X's web API is now refused before decoding when it is over
8 MB or nested deeper than 96 levels (issue 21). The page is shaped as
``x-web-api.md`` §5 shows a UserTweets answer, with long texts; the baseline is
``json.loads`` of the same bytes in the same rounds. Not a test: it prints
what it measures.
"""

from __future__ import annotations

import argparse
import json
import time

from common import per_call
from notifier.account.timeline import parse_timeline
from notifier.stream.http import parse_json


def timeline_page(posts: int) -> bytes:
    entries = []
    for n in range(posts):
        tweet = {
            "__typename": "Tweet", "rest_id": str(1850000000000000000 + n), "views": {"count": "57"},
            "core": {"user_results": {"result": {"rest_id": "9", "core": {"screen_name": "me", "name": "Me"}}}},
            "legacy": {"created_at": "Fri Jul 31 21:34:08 +0000 2026", "full_text": "a [post] {text} " * 20,
                       "favorite_count": n, "retweet_count": 0, "reply_count": 1, "quote_count": 0,
                       "entities": {"hashtags": [], "urls": [{"url": "https://t.co/x", "indices": [0, 23]}]}},
        }
        entries.append({"entryId": f"tweet-{n}", "content": {"itemContent": {"tweet_results": {"result": tweet}}}})
    body = {"data": {"user": {"result": {"timeline": {"timeline": {"instructions": [
        {"type": "TimelineAddEntries", "entries": entries}]}}}}}}
    return json.dumps(body).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    page = timeline_page(args.posts)
    count = 200
    bare = min(per_call(lambda: json.loads(page), count) for _ in range(args.repeat))
    bounded = min(per_call(lambda: parse_json(page), count) for _ in range(args.repeat))
    parsed = min(per_call(lambda: parse_timeline(parse_json(page)), count) for _ in range(args.repeat))
    print(f"page: {args.posts} posts, {len(page) / 1024:.0f} KB")
    print(f"json.loads (baseline)   {bare * 1000:8.3f} ms")
    print(f"parse_json (bounded)    {bounded * 1000:8.3f} ms   ×{bounded / bare:.2f}")
    print(f"parse_json + timeline   {parsed * 1000:8.3f} ms   ×{parsed / bare:.2f}")


if __name__ == "__main__":
    main()
