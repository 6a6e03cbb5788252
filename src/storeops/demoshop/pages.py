"""The shop's HTML: small, real-looking pages that keyword and journey monitors can read."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from html import escape

from storeops.demoshop.catalogue import CURRENCY, Product

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222}
header{background:#1f3a5f;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1.5rem;align-items:center}
header a{color:#fff;text-decoration:none}
main{padding:1.5rem;max-width:60rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:1rem}
.card{border:1px solid #ddd;border-radius:6px;padding:1rem}
.in-stock{color:#1b7f3b}.out-of-stock{color:#b3261e}
table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #eee;text-align:left}
"""


def money(amount: Decimal) -> str:
    return f"{amount:,.2f} {CURRENCY}"


def layout(title: str, body: str, *, cart_count: int = 0) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Demo Shop</title><style>{STYLE}</style></head>
<body><header><a href="/"><strong>Demo Shop</strong></a>
<form action="/search" method="get"><input name="q" placeholder="Search" aria-label="Search">
</form><a href="/cart">Cart ({cart_count})</a></header>
<main>{body}</main></body></html>
"""


def _stock(product: Product) -> str:
    if product.in_stock:
        return '<p class="in-stock">In stock</p>'
    return '<p class="out-of-stock">Out of stock</p>'


def _cards(products: Iterable[Product]) -> str:
    cards = "".join(
        f'<div class="card"><h3><a href="/products/{p.handle}">{escape(p.name)}</a></h3>'
        f"<p>{money(p.price)}</p>{_stock(p)}</div>"
        for p in products
    )
    return f'<div class="grid">{cards}</div>'


def home(featured: list[Product], *, cart_count: int) -> str:
    body = f"<h1>Welcome to the Demo Shop</h1><h2>Featured</h2>{_cards(featured)}"
    return layout("Home", body, cart_count=cart_count)


def search(query: str, results: list[Product], *, cart_count: int) -> str:
    if results:
        found = f"<p>{len(results)} products match “{escape(query)}”.</p>{_cards(results)}"
    else:
        found = f"<p>No products match “{escape(query)}”.</p>"
    return layout(f"Search: {query}", f"<h1>Search</h1>{found}", cart_count=cart_count)


def product(p: Product, *, cart_count: int) -> str:
    button = (
        '<button type="submit">Add to cart</button>'
        if p.in_stock
        else '<button type="submit" disabled>Sold out</button>'
    )
    body = f"""<h1>{escape(p.name)}</h1>
<p class="price">{money(p.price)}</p>{_stock(p)}
<p>{escape(p.description)}</p><p>SKU {escape(p.sku)} · {escape(p.category)}</p>
<form action="/cart/add" method="post"><input type="hidden" name="sku" value="{escape(p.sku)}">
<label>Quantity <input name="quantity" type="number" value="1" min="1" max="10"></label>
{button}</form>"""
    return layout(p.name, body, cart_count=cart_count)


def _lines(lines: list[tuple[Product, int]]) -> str:
    rows = "".join(
        f"<tr><td>{escape(p.name)}</td><td>{escape(p.sku)}</td><td>{qty}</td>"
        f"<td>{money(p.price * qty)}</td></tr>"
        for p, qty in lines
    )
    total = sum((p.price * qty for p, qty in lines), Decimal(0))
    return (
        "<table><tr><th>Product</th><th>SKU</th><th>Quantity</th><th>Amount</th></tr>"
        f'{rows}<tr><th colspan="3">Total</th><th class="total">{money(total)}</th></tr></table>'
    )


def cart(lines: list[tuple[Product, int]]) -> str:
    count = sum(qty for _, qty in lines)
    if not lines:
        return layout("Cart", "<h1>Your cart</h1><p>Your cart is empty.</p>", cart_count=0)
    body = f'<h1>Your cart</h1>{_lines(lines)}<p><a href="/checkout">Checkout</a></p>'
    return layout("Cart", body, cart_count=count)


def checkout(lines: list[tuple[Product, int]], token: str) -> str:
    count = sum(qty for _, qty in lines)
    body = f"""<h1>Checkout</h1>{_lines(lines)}
<form action="/checkout" method="post">
<input type="hidden" name="csrf_token" value="{escape(token)}">
<label>Name <input name="name" required></label>
<label>Email <input name="email" type="email" required></label>
<button type="submit">Place order</button></form>"""
    return layout("Checkout", body, cart_count=count)


def order_placed(number: str, lines: list[tuple[Product, int]]) -> str:
    body = (
        f'<h1>Thank you!</h1><p>Order <strong class="order-number">{escape(number)}</strong> '
        f"is confirmed.</p>{_lines(lines)}"
    )
    return layout(f"Order {number}", body)


def problem(title: str, text: str, *, cart_count: int = 0) -> str:
    return layout(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>", cart_count=cart_count)
