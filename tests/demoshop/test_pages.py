"""Every page of the demo shop, and the journey a checkout monitor walks."""

from __future__ import annotations

import re

import aiohttp

from storeops.demoshop.catalogue import PRODUCTS
from tests.demoshop.conftest import run

# What a journey monitor extracts from the checkout page (Step.extract's re(...) form).
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _get(url: str) -> tuple[int, str, str]:
    async def body(session: aiohttp.ClientSession) -> tuple[int, str, str]:
        async with session.get(url) as response:
            return response.status, response.content_type, await response.text()

    return run(body)


def test_home_shows_the_featured_products(shop):
    status, kind, html = _get(shop.url)
    assert (status, kind) == (200, "text/html")
    featured = [p for p in PRODUCTS if p.featured]
    assert len(featured) >= 3
    for product in featured:
        assert f'href="/products/{product.handle}"' in html
    assert "Rain Coat" not in html  # not featured


def test_search_finds_by_word_and_says_when_nothing_matches(shop):
    status, _, html = _get(shop.url + "search?q=leather")
    assert status == 200
    assert "Leather Sneakers" in html and "1 products match" in html
    status, _, html = _get(shop.url + "search?q=shoes")
    assert "Running Shoes" in html and "Leather Sneakers" in html and "Linen Shirt" not in html
    status, _, html = _get(shop.url + "search?q=submarine")
    assert status == 200 and "No products match" in html


def test_product_pages_show_price_and_stock(shop):
    status, _, html = _get(shop.url + "products/linen-shirt")
    assert status == 200
    assert "<h1>Linen Shirt</h1>" in html and "49.00 EUR" in html and "In stock" in html
    status, _, html = _get(shop.url + "products/rain-coat")
    assert status == 200 and "Out of stock" in html and "In stock" not in html
    assert "disabled" in html
    status, _, _ = _get(shop.url + "products/no-such-thing")
    assert status == 404


def test_stock_json_lists_every_sku_and_one_sku(shop):
    async def body(session):
        async with session.get(shop.url + "api/stock.json") as r:
            everything = (r.status, await r.json())
        async with session.get(shop.url + "api/stock/S2") as r:
            one = (r.status, await r.json())
        async with session.get(shop.url + "api/stock/ZZ9") as r:
            unknown = (r.status, await r.json())
        return everything, one, unknown

    (status, data), one, unknown = run(body)
    assert status == 200
    assert data["items"][0] == {"sku": "A1", "available": 12}
    assert [i["sku"] for i in data["items"]] == [p.sku for p in PRODUCTS]
    assert {i["sku"]: i["available"] for i in data["items"]}["A3"] == 0
    assert one == (200, {"sku": "S2", "available": 14})
    assert unknown[0] == 404


def test_healthz(shop):
    async def body(session):
        async with session.get(shop.url + "healthz") as r:
            return r.status, await r.json()

    assert run(body) == (200, {"status": "ok"})


def test_empty_cart_and_checkout_without_a_cart(shop):
    async def body(session):
        async with session.get(shop.url + "cart") as r:
            cart = await r.text()
        async with session.get(shop.url + "checkout") as r:
            checkout = (r.status, str(r.url), await r.text())
        async with session.post(shop.url + "checkout", data={"csrf_token": "x"}) as r:
            order = r.status
        return cart, checkout, order

    cart, (status, url, html), order = run(body)
    assert "Your cart is empty" in cart
    assert status == 200 and url.endswith("/cart") and "Your cart is empty" in html
    assert CSRF.search(html) is None
    assert order == 409


def test_journey_home_product_cart_checkout_order(shop):
    async def body(session):
        async with session.get(shop.url) as r:
            assert r.status == 200
        async with session.get(shop.url + "products/ceramic-vase") as r:
            assert "In stock" in await r.text()
        add = {"sku": "H1", "quantity": "2"}
        async with session.post(shop.url + "cart/add", data=add, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/cart"
            assert "shop_session" in r.cookies
        async with session.post(shop.url + "cart/add", data={"sku": "B1"}) as r:
            cart = await r.text()  # followed the redirect to the cart
        async with session.get(shop.url + "checkout") as r:
            checkout = await r.text()
        token = CSRF.search(checkout).group(1)
        form = {"csrf_token": token, "name": "Ada", "email": "ada@example.com"}
        async with session.post(shop.url + "checkout", data=form) as r:
            placed = (r.status, await r.text())
        async with session.post(shop.url + "checkout", data=form) as r:
            again = r.status  # the cart is empty now
        return cart, checkout, placed, again

    cart, checkout, (status, placed), again = run(body)
    assert "Ceramic Vase" in cart and "Face Cream" in cart and "Cart (3)" in cart
    assert "99.00 EUR" in cart  # 2 x 35.00 + 29.00
    assert "Place order" in checkout
    assert status == 200
    assert re.search(r'class="order-number">SO-\d{4,}<', placed)
    assert again == 409


def test_checkout_refuses_a_wrong_token_and_a_cart_of_another_session(shop):
    async def body(session):
        await session.post(shop.url + "cart/add", data={"sku": "A1"})
        async with session.get(shop.url + "checkout") as r:
            token = CSRF.search(await r.text()).group(1)
        form = {"csrf_token": "forged", "name": "Eve", "email": "eve@example.com"}
        async with session.post(shop.url + "checkout", data=form) as r:
            forged = r.status
        session.cookie_jar.clear()  # another visitor with the same token
        form["csrf_token"] = token
        async with session.post(shop.url + "checkout", data=form) as r:
            stranger = r.status
        return forged, stranger

    assert run(body) == (403, 409)


def test_cart_refuses_unknown_and_sold_out_skus(shop):
    async def body(session):
        statuses = []
        for form in ({"sku": "ZZ9"}, {"sku": "A1", "quantity": "0"}, {"sku": "A3"}):
            async with session.post(shop.url + "cart/add", data=form) as r:
                statuses.append(r.status)
        async with session.get(shop.url + "cart") as r:
            statuses.append("Your cart is empty" in await r.text())
        return statuses

    assert run(body) == [400, 400, 409, True]
