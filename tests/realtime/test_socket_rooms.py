"""The indexed Socket.IO managers hold exactly the state python-socketio's own manager holds.

Same random sequence of connects, room joins and leaves, room closes and disconnects (with
callbacks and pending connects/disconnects among them) on both; after every step the rooms,
each client's rooms, the callbacks and the pending lists agree. And the point of the index: a
disconnect does not walk the other clients' rooms.
"""

from __future__ import annotations

import json
import random
import time
import uuid

import pytest
import socketio

from exam_server.socket_rooms import IndexedManager, IndexedRedisManager, client_manager

NAMESPACES = ("/exam", "/monitor")


def _state(m: socketio.Manager, sids: list[tuple[str, str]]) -> tuple[object, ...]:
    rooms = {ns: {room: dict(members) for room, members in by_room.items()} for ns, by_room in m.rooms.items()}
    mine = {(ns, sid): sorted(map(str, m.get_rooms(sid, ns))) for ns, sid in sids}
    pending = ({ns: sorted(v) for ns, v in m.pending_connect.items()},
               {ns: sorted(v) for ns, v in m.pending_disconnect.items()})
    return rooms, mine, sorted(m.callbacks), pending


@pytest.mark.parametrize("seed", range(5))
def test_same_state_as_the_librarys_manager_after_every_step(seed: int) -> None:
    rnd = random.Random(seed)
    ours, theirs = IndexedManager(), socketio.Manager()
    for m in (ours, theirs):
        m.set_server(socketio.Server())
    connected: list[tuple[str, str]] = []
    seen: list[tuple[str, str]] = []
    shared_rooms = [f"mon:room:{i}" for i in range(4)] + ["mon:sitting:1"]
    for step in range(400):
        op = rnd.random()
        if op < 0.3 or not connected:
            ns, eio = rnd.choice(NAMESPACES), f"eio{step}"
            sids = {m.connect(eio, ns) for m in (ours, theirs)}  # random sids: map ours onto theirs
            sid_ours, sid_theirs = (ours.sid_from_eio_sid(eio, ns), theirs.sid_from_eio_sid(eio, ns))
            assert len(sids) == 2 and sid_ours and sid_theirs
            # give both the same sid so the states compare: re-key theirs under our sid
            theirs.basic_disconnect(sid_theirs, ns)
            theirs.basic_enter_room(sid_ours, ns, None, eio_sid=eio)
            theirs.basic_enter_room(sid_ours, ns, sid_ours, eio_sid=eio)
            connected.append((ns, sid_ours))
            seen.append((ns, sid_ours))
            for room in (f"attempt:{step}", f"session:{step}"):
                for m in (ours, theirs):
                    m.basic_enter_room(sid_ours, ns, room)
            if rnd.random() < 0.3:
                for m in (ours, theirs):
                    m.callbacks[sid_ours] = {1: print}
            if rnd.random() < 0.2:
                for m in (ours, theirs):
                    m.pending_connect.setdefault(ns, []).append(sid_ours)
        elif op < 0.55:
            ns, sid = rnd.choice(connected)
            room = rnd.choice(shared_rooms)
            for m in (ours, theirs):
                m.basic_enter_room(sid, ns, room)
        elif op < 0.7:
            ns, sid = rnd.choice(connected)
            room = rnd.choice(shared_rooms + [f"attempt:{rnd.randrange(step + 1)}"])
            for m in (ours, theirs):
                m.basic_leave_room(sid, ns, room)
        elif op < 0.75:
            ns, room = rnd.choice(NAMESPACES), rnd.choice(shared_rooms)
            for m in (ours, theirs):
                m.basic_close_room(room, ns)
        else:
            ns, sid = connected.pop(rnd.randrange(len(connected)))
            if rnd.random() < 0.5:
                for m in (ours, theirs):
                    m.pre_disconnect(sid, ns)
            for m in (ours, theirs):
                m.basic_disconnect(sid, ns)
        assert _state(ours, seen) == _state(theirs, seen), f"step {step}"
    assert ours._rooms_of.keys() == set(connected)


def test_a_disconnect_does_not_walk_the_other_clients_rooms() -> None:
    m = IndexedManager()
    m.set_server(socketio.Server())
    for i in range(2000):
        sid = m.connect(f"eio{i}", "/exam")
        m.basic_enter_room(sid, "/exam", f"attempt:{i}")
    leaving = m.sid_from_eio_sid("eio7", "/exam")

    class Untouchable(dict):  # every other room: the library's walk would test membership in each
        def __contains__(self, key: object) -> bool:
            raise AssertionError("a disconnect looked into another client's room")

    for room, members in list(m.rooms["/exam"].items()):
        if room not in (None, leaving, "attempt:7"):
            m.rooms["/exam"][room] = Untouchable(members)
    m.basic_disconnect(leaving, "/exam")
    assert "attempt:7" not in m.rooms["/exam"] and leaving not in m.rooms["/exam"][None]


def test_the_app_uses_the_indexed_managers(redis_url: str) -> None:
    assert type(client_manager("", "c")).__name__ == "IndexedManager"
    assert type(client_manager(redis_url, "c")).__name__ == "IndexedRedisManager"


def _server_with_clients(manager: socketio.Manager, attempts: range) -> list[tuple[str, list[object]]]:
    """A Socket.IO server on `manager` with one client per attempt in its `attempt:<n>` room;
    what each client was sent is recorded (instead of going to a real socket)."""
    server = socketio.Server(client_manager=manager, async_mode="threading")
    sent: list[tuple[str, list[object]]] = []
    server._send_eio_packet = lambda eio_sid, pkt: sent.append((eio_sid, json.loads(pkt.data.split(",", 1)[1])))  # type: ignore[method-assign]
    for n in attempts:
        sid = manager.connect(f"eio{n}", "/exam")
        manager.basic_enter_room(sid, "/exam", f"attempt:{n}")
    return sent


def test_emit_each_sends_each_room_its_own_data_in_one_process() -> None:
    m = IndexedManager()
    sent = _server_with_clients(m, range(3))
    m.emit_each("state", [(f"attempt:{n}", {"attempt": n}) for n in (0, 2)], "/exam")
    assert sorted(sent) == [("eio0", ["state", {"attempt": 0}]), ("eio2", ["state", {"attempt": 2}])]


def test_emit_each_is_one_publish_that_every_process_unpacks(redis_url: str) -> None:
    channel = f"test-emit-each-{uuid.uuid4().hex[:8]}"
    one, two = (IndexedRedisManager(redis_url, channel=channel) for _ in range(2))
    sent_one, sent_two = _server_with_clients(one, range(0, 2)), _server_with_clients(two, range(2, 4))
    for m in (one, two):
        m.initialize()  # the listening threads
    time.sleep(0.3)  # subscribed
    publishes: list[object] = []
    publish = one._publish
    one._publish = lambda data: (publishes.append(data), publish(data))[1]  # type: ignore[method-assign]
    one.emit_each("state", [(f"attempt:{n}", {"attempt": n, "ä": "ở"}) for n in range(4)], "/exam")
    end = time.monotonic() + 5
    while time.monotonic() < end and len(sent_two) < 2:
        time.sleep(0.02)
    assert len(publishes) == 1
    assert sorted(sent_one) == [(f"eio{n}", ["state", {"attempt": n, "ä": "ở"}]) for n in (0, 1)]
    assert sorted(sent_two) == [(f"eio{n}", ["state", {"attempt": n, "ä": "ở"}]) for n in (2, 3)]
    # an ordinary emit still goes through the library's own path on the other process
    one.emit("note", {"x": 1}, "/exam", room="attempt:3")
    while time.monotonic() < end + 5 and len(sent_two) < 3:
        time.sleep(0.02)
    assert sent_two[-1] == ("eio3", ["note", {"x": 1}])
