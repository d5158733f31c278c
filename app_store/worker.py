"""Workers that take submissions from the database and run the pipeline, a few at a time."""

from __future__ import annotations

import logging
import threading

from app_store import pipeline
from app_store.store import Store

log = logging.getLogger("selfdata.store")


class Workers:
    """``n`` threads; each claims the oldest queued submission. On start, jobs interrupted by a
    previous stop are queued again."""

    def __init__(self, store: Store, n: int):
        self.store = store
        self.n = n          # 0: a store that takes no jobs (the queue waits for one that does)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if self.n == 0:
            return
        resumed = pipeline.requeue_interrupted(self.store.db)
        if resumed:
            log.info("resumed submissions %s", resumed)
        runs = self.store.challenges.requeue_interrupted()
        if runs:
            log.info("resumed scoring runs %s", runs)
        for i in range(self.n):
            t = threading.Thread(target=self._loop, name=f"store-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                sub_id = pipeline.claim(self.store.db)
                if sub_id is not None:
                    self.store.processing.process(sub_id)
                    continue
                run_id = self.store.challenges.claim()   # submissions first, then scoring
                if run_id is not None:
                    self._score(run_id)
                    continue
                self.store.wake.wait(1.0)
                self.store.wake.clear()
            except Exception:  # a worker never dies: log, breathe, go on
                log.exception("store worker")
                self._stop.wait(1.0)

    def _score(self, run_id: int) -> None:
        try:
            self.store.scoring.run(run_id)
        except Exception as exc:  # a failed run is told to its team, never silent
            log.error("scoring run %s: %s", run_id, type(exc).__name__)
            self.store.challenges.fail(run_id, f"the store could not score it "
                                       f"({type(exc).__name__}); the organisers can retry")

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self.store.wake.set()
        for t in self._threads:
            t.join(timeout)
