import difflib
import random


class Env:
    """A single-turn procedural family (no tools, with solve): copy a code drawn from the seed.

    The score is the similarity of the answer to the code (difflib's ratio), so a near miss earns partial credit
    and only the exact code earns 1.0.
    """

    def reset(self, seed: int) -> str:
        rng = random.Random(seed)
        self.code = "-".join(str(rng.randrange(10, 100)) for _ in range(3))
        return f"Code: {self.code}"

    def score(self, response: str) -> float:
        return round(difflib.SequenceMatcher(None, self.code, response.strip()).ratio(), 4)

    def solve(self) -> dict:
        return {"calls": [], "response": self.code}
