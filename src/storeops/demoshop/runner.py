"""A demo shop on its own thread and event loop, so that synchronous code (`storeops demo`,
tests) can run monitors against it in the same process."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from storeops.demoshop.server import RunningShop, ShopConfig, start_shop


class BackgroundShop:
    """`with BackgroundShop(ShopConfig(http_port=0)) as shop: get(shop.url)`."""

    def __init__(self, config: ShopConfig):
        self.config = config
        self._ready = threading.Event()
        self._shop: RunningShop | None = None
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="demo-shop", daemon=True)

    def start(self, timeout: float = 30) -> RunningShop:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the demo shop did not start")
        if self._error is not None:
            raise self._error
        assert self._shop is not None
        return self._shop

    def stop(self, timeout: float = 30) -> None:
        if self._thread.is_alive() and self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def __enter__(self) -> RunningShop:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            self._shop = await start_shop(self.config)
        except BaseException as exc:  # handed to the thread that called start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self._shop.stop()
