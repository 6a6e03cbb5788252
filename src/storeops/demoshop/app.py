"""The demo shop as an aiohttp application: pages, cart and checkout, the stock JSON, and the
admin endpoint that switches faults on and off."""

from __future__ import annotations

import asyncio
import hmac
import itertools
import json
import random
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from storeops.demoshop import pages
from storeops.demoshop.catalogue import Catalogue, Product
from storeops.demoshop.faults import ADMIN_PATH, BadFaults, FaultSwitch, parse_faults

SESSION_COOKIE = "shop_session"
# Every journey check starts a session; the oldest are forgotten so memory stays bounded.
MAX_SESSIONS = 10_000
MAX_QUANTITY = 10

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Session:
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    cart: dict[str, int] = field(default_factory=dict)


class Sessions:
    def __init__(self, limit: int = MAX_SESSIONS):
        self._limit = limit
        self._by_id: OrderedDict[str, Session] = OrderedDict()

    def get(self, session_id: str | None) -> Session | None:
        session = self._by_id.get(session_id or "")
        if session is not None:
            self._by_id.move_to_end(session_id or "")
        return session

    def start(self) -> tuple[str, Session]:
        session_id, session = secrets.token_urlsafe(18), Session()
        self._by_id[session_id] = session
        while len(self._by_id) > self._limit:
            self._by_id.popitem(last=False)
        return session_id, session


class Shop:
    """The state of one running shop and its request handlers."""

    def __init__(
        self,
        catalogue: Catalogue,
        faults: FaultSwitch,
        *,
        admin_token: str,
        rng: random.Random | None = None,
    ):
        self.catalogue = catalogue
        self.faults = faults
        self.admin_token = admin_token
        self.rng = rng or random.Random()
        self.sessions = Sessions()
        self._order_numbers = itertools.count(1001)

    # -- helpers -------------------------------------------------------------------------------

    def _session(self, request: web.Request) -> Session | None:
        return self.sessions.get(request.cookies.get(SESSION_COOKIE))

    def _lines(self, session: Session | None) -> list[tuple[Product, int]]:
        if session is None:
            return []
        lines = []
        for sku, qty in session.cart.items():
            product = self.catalogue.by_sku(sku)
            if product is not None:
                lines.append((product, qty))
        return lines

    def _count(self, request: web.Request) -> int:
        session = self._session(request)
        return sum(session.cart.values()) if session else 0

    @staticmethod
    def _html(text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html")

    # -- faults --------------------------------------------------------------------------------

    @web.middleware
    async def fault_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        faults = self.faults.current
        if not faults.covers(request.path):
            return await handler(request)
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.down:
            # No answer at all: the client sees the connection closed, as when a server dies.
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=503)  # never reaches the client
        if faults.error_rate and self.rng.random() < faults.error_rate:
            page = pages.problem("Internal Server Error", "Something went wrong on our side.")
            return self._html(page, 500)
        return await handler(request)

    # -- pages ---------------------------------------------------------------------------------

    async def home(self, request: web.Request) -> web.Response:
        return self._html(pages.home(self.catalogue.featured(), cart_count=self._count(request)))

    async def search(self, request: web.Request) -> web.Response:
        query = request.query.get("q", "").strip()
        results = self.catalogue.search(query)
        return self._html(pages.search(query, results, cart_count=self._count(request)))

    async def product(self, request: web.Request) -> web.Response:
        product = self.catalogue.by_handle(request.match_info["handle"])
        if product is None:
            page = pages.problem("Not found", "There is no such product.")
            return self._html(page, 404)
        return self._html(pages.product(product, cart_count=self._count(request)))

    async def cart(self, request: web.Request) -> web.Response:
        return self._html(pages.cart(self._lines(self._session(request))))

    async def add_to_cart(self, request: web.Request) -> web.Response:
        form = await request.post()
        product = self.catalogue.by_sku(str(form.get("sku", "")))
        try:
            quantity = int(str(form.get("quantity", "1")))
        except ValueError:
            quantity = 0
        if product is None or not 1 <= quantity <= MAX_QUANTITY:
            page = pages.problem("Bad request", "Give a known sku and a quantity from 1 to 10.")
            return self._html(page, 400)
        if not product.in_stock:
            return self._html(pages.problem("Sold out", f"{product.name} is sold out."), 409)
        session_id = request.cookies.get(SESSION_COOKIE)
        session = self.sessions.get(session_id)
        if session is None:
            session_id, session = self.sessions.start()
        session.cart[product.sku] = min(session.cart.get(product.sku, 0) + quantity, MAX_QUANTITY)
        response = web.HTTPSeeOther("/cart")
        response.set_cookie(SESSION_COOKIE, session_id or "", httponly=True, samesite="Lax")
        raise response

    async def checkout(self, request: web.Request) -> web.Response:
        session = self._session(request)
        lines = self._lines(session)
        if session is None or not lines:
            raise web.HTTPSeeOther("/cart")
        return self._html(pages.checkout(lines, session.token))

    async def place_order(self, request: web.Request) -> web.Response:
        session = self._session(request)
        lines = self._lines(session)
        if session is None or not lines:
            return self._html(pages.problem("Empty cart", "Your cart is empty."), 409)
        form = await request.post()
        if not hmac.compare_digest(str(form.get("csrf_token", "")), session.token):
            page = pages.problem("Forbidden", "The form expired: reload the checkout page.")
            return self._html(page, 403)
        if not str(form.get("email", "")).strip():
            return self._html(pages.problem("Bad request", "An email address is needed."), 400)
        number = f"SO-{next(self._order_numbers)}"
        session.cart.clear()
        session.token = secrets.token_urlsafe(16)  # one order per checkout form
        return self._html(pages.order_placed(number, lines))

    # -- JSON ----------------------------------------------------------------------------------

    def _available(self, product: Product) -> int:
        return -1 if self.faults.current.wrong_stock else product.available

    async def stock(self, request: web.Request) -> web.Response:
        items = [{"sku": p.sku, "available": self._available(p)} for p in self.catalogue.products]
        return web.json_response({"items": items})

    async def stock_of(self, request: web.Request) -> web.Response:
        product = self.catalogue.by_sku(request.match_info["sku"])
        if product is None:
            return web.json_response({"error": "unknown sku"}, status=404)
        return web.json_response({"sku": product.sku, "available": self._available(product)})

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    # -- admin ---------------------------------------------------------------------------------

    async def admin(self, request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "")
        if not given.startswith("Bearer "):
            return web.json_response({"error": "an admin token is needed"}, status=401)
        if not hmac.compare_digest(
            given.removeprefix("Bearer ").encode(), self.admin_token.encode()
        ):
            return web.json_response({"error": "wrong admin token"}, status=403)
        if request.method == "POST":
            try:
                self.faults.set(parse_faults(await request.json()))
            except json.JSONDecodeError:
                return web.json_response({"error": "the body must be a JSON object"}, status=400)
            except BadFaults as exc:
                return web.json_response({"error": str(exc)}, status=400)
        elif request.method == "DELETE":
            self.faults.clear()
        return web.json_response(self.faults.current.model_dump(mode="json"))


def make_app(
    catalogue: Catalogue | None = None,
    faults: FaultSwitch | None = None,
    *,
    admin_token: str,
    rng: random.Random | None = None,
) -> web.Application:
    shop = Shop(catalogue or Catalogue(), faults or FaultSwitch(), admin_token=admin_token, rng=rng)
    app = web.Application(middlewares=[shop.fault_middleware])
    app.router.add_get("/", shop.home)
    app.router.add_get("/search", shop.search)
    app.router.add_get("/products/{handle}", shop.product)
    app.router.add_get("/cart", shop.cart)
    app.router.add_post("/cart/add", shop.add_to_cart)
    app.router.add_get("/checkout", shop.checkout)
    app.router.add_post("/checkout", shop.place_order)
    app.router.add_get("/api/stock.json", shop.stock)
    app.router.add_get("/api/stock/{sku}", shop.stock_of)
    app.router.add_get("/healthz", shop.healthz)
    for method in ("GET", "POST", "DELETE"):
        app.router.add_route(method, ADMIN_PATH, shop.admin)
    return app
