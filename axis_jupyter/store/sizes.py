"""How many bytes each dataset takes in a local DuckDB file (the data manager's size column)."""

from __future__ import annotations


BLOCK_QUERY = "SELECT count(DISTINCT block_id) FROM pragma_storage_info({}) WHERE block_id >= 0"


def dataset_sizes(store, infos: list[dict]) -> dict:
    """Bytes each dataset's tables take in the DuckDB file: the storage blocks they use times
    the block size (a block shared by two small tables counts for both); None in memory."""
    if store.location == ":memory:":
        return {i["name"]: None for i in infos}

    def run(cur):
        # one row per attached database (the store's scratch database too): the file's
        block = cur.execute("SELECT block_size FROM pragma_database_size() "
                            "WHERE database_name = current_database()").fetchone()[0]
        out = {}
        for info in infos:
            n = 0
            for t in info.get("tables", []):
                literal = "'" + t.replace("'", "''") + "'"
                try:
                    n += cur.execute(BLOCK_QUERY.format(literal)).fetchone()[0]
                except Exception:  # noqa: BLE001 - a table dropped meanwhile counts 0
                    pass
            out[info["name"]] = int(n * block)
        return out

    out = store.read(run)
    # an attached dataset has no table here (its rows stay in its engine): 0 bytes, and no
    # reason to checkpoint
    local = {i["name"] for i in infos if not i.get("attached")}
    if any(v == 0 for k, v in out.items() if k in local):
        # freshly loaded tables are still in the write-ahead log, in no block yet: write
        # them out once (DuckDB would at its next automatic checkpoint) and count again
        try:
            store.write(lambda cur: cur.execute("CHECKPOINT"))
        except Exception:  # noqa: BLE001 - another transaction open: sizes stay 0 for now
            return out
        out = store.read(run)
    return out
