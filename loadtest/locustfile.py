"""Load test of agentic-deals: the seed's scenarios and configuration.

Each simulated user registers once, then runs three scenarios with weights
search 6 : create goal 1 : price history 3, waiting 1-3 s between requests:

- ``search_deals``: public full-text deal search with a random query, sort and price filter;
- ``create_goal``: a natural-language goal (the Goal Analysis agent parses it, a search job
  is enqueued for the workers);
- ``track_price``: the price history of a deal found earlier (and, once per user, tracking it).

Defaults are the seed's: 1 000 users, spawn rate 10/s, 1 hour (``locust.conf`` beside this
file), e.g. against nginx in front of three replicas::

    pip install -r loadtest/requirements.txt
    locust -f loadtest/locustfile.py --config loadtest/locust.conf --host http://127.0.0.1:8080

The target must not rate-limit the load generator's single address (set
``DEALS_RATE_LIMIT__ENABLED=false``) and should give new accounts enough tokens for the goals
they create (``DEALS_TOKENS__SIGNUP_BONUS``): ``scripts/ha-test.sh`` does both. A request counts
as failed when its status is not the expected one (2xx; 402 "not enough tokens" is failed too).
"""

import random
import uuid

from locust import HttpUser, between, events, task

QUERIES = [
    "headphones", "sony headphones", "laptop", "gaming laptop", "monitor", "27 inch monitor",
    "tv", "oled tv", "keyboard", "mechanical keyboard", "mouse", "ssd", "camera", "speaker",
    "tablet", "phone", "smartwatch", "router", "printer", "microphone",
]
GOALS = [
    "Sony or Bose noise cancelling headphones under $300, new",
    "a 27 inch 144hz monitor under $250",
    "gaming laptop with rtx under $1200",
    "mechanical keyboard under $100",
    "4k oled tv 55 inch under $1000",
    "1tb nvme ssd under $90",
    "wireless mouse under $50",
    "mirrorless camera under $800, used is fine",
]
SORTS = ["score", "price", "discount", "newest"]


class DealsUser(HttpUser):
    """A signed-in user of the API."""

    wait_time = between(1, 3)

    def on_start(self):
        self.deal_ids = []
        self.tracked = False
        email = f"load-{uuid.uuid4().hex[:16]}@example.com"
        with self.client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": "load-test-password", "name": "load"},
            name="register",
            catch_response=True,
        ) as res:
            if res.status_code != 201:
                res.failure(f"register: {res.status_code}")
                self.token = None
                return
            self.token = res.json()["access_token"]
        self.client.headers["Authorization"] = f"Bearer {self.token}"

    @task(6)
    def search_deals(self):
        params = {"q": random.choice(QUERIES), "sort": random.choice(SORTS), "per_page": 20}
        if random.random() < 0.5:
            params["max_price"] = random.choice([50, 100, 250, 500, 1000, 2000])
        with self.client.get(
            "/api/v1/deals/search", params=params, name="search_deals", catch_response=True
        ) as res:
            if res.status_code != 200:
                res.failure(f"search: {res.status_code}")
                return
            items = res.json().get("items") or []
            ids = [d["id"] for d in items if "id" in d]
            if ids:
                self.deal_ids = (ids + self.deal_ids)[:50]

    @task(1)
    def create_goal(self):
        if not self.token:
            return
        with self.client.post(
            "/api/v1/goals",
            json={"query": random.choice(GOALS)},
            name="create_goal",
            catch_response=True,
        ) as res:
            if res.status_code != 201:
                res.failure(f"create goal: {res.status_code} {res.text[:200]}")

    @task(3)
    def track_price(self):
        if not self.deal_ids:
            self.search_deals()
            if not self.deal_ids:
                return
        deal = random.choice(self.deal_ids)
        with self.client.get(
            f"/api/v1/deals/{deal}/price-history",
            params={"days": random.choice([7, 30, 90])},
            name="track_price",
            catch_response=True,
        ) as res:
            if res.status_code != 200:
                res.failure(f"price history: {res.status_code}")
                return
        if self.token and not self.tracked:
            with self.client.post(
                f"/api/v1/deals/{deal}/track",
                json={"notify_on_drop_pct": 5},
                name="track_price (track)",
                catch_response=True,
            ) as res:
                if res.status_code not in (200, 201):
                    res.failure(f"track: {res.status_code} {res.text[:200]}")
                else:
                    self.tracked = True


@events.quitting.add_listener
def _fail_above_threshold(environment, **_kwargs):
    """Exit 1 when the failure ratio is above LOCUST_MAX_FAIL_RATIO (default 0.01)."""
    import os

    limit = float(os.environ.get("LOCUST_MAX_FAIL_RATIO", "0.01"))
    total = environment.stats.total
    if total.num_requests == 0:
        print("no request was made")
        environment.process_exit_code = 1
    elif total.fail_ratio > limit:
        print(f"failure ratio {total.fail_ratio:.4%} is above {limit:.2%}")
        environment.process_exit_code = 1
