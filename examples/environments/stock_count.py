import random

ITEMS = ("bolts", "nuts", "screws", "washers", "rivets", "hinges", "brackets", "springs")


class Env:
    """A warehouse whose shelves (which items, how many) follow from the seed: a seeded family with solve()."""

    def reset(self, seed: int) -> str:
        rng = random.Random(seed)
        names = rng.sample(ITEMS, 4)
        self.stock = {name: rng.randrange(1, 500) for name in names}
        while len(set(self.stock.values())) < len(self.stock):
            self.stock[names[0]] += 1
        return "Shelves hold: " + ", ".join(names) + ". Which has the fewest units? Answer with its name."

    def count(self, item: str) -> int:
        """How many units of an item are on the shelves.

        Args:
            item: item name
        """
        if item not in self.stock:
            raise KeyError(f"no item {item!r} on the shelves")
        return self.stock[item]

    def score(self, response: str) -> float:
        return 1.0 if response.strip().lower() == min(self.stock, key=self.stock.get) else 0.0

    def solve(self) -> dict:
        calls = [{"tool": "count", "args": {"item": name}} for name in self.stock]
        return {"calls": calls, "response": min(self.stock, key=self.stock.get)}
