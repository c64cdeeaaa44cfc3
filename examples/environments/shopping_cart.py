import random


class Env:
    """A web shop's cart. The catalogue's prices follow from the seed."""

    def reset(self, seed: int) -> str:
        rng = random.Random(seed)
        self.prices = {name: round(rng.uniform(0.5, 5.0), 2) for name in ("apple", "bread", "milk", "tea")}
        self.cart = {}
        self.total = None
        return "Catalogue: " + ", ".join(f"{name} {price:.2f}" for name, price in sorted(self.prices.items()))

    def add_item(self, name: str, qty: int) -> dict:
        """Put units of a product into the cart.

        Args:
            name: product name from the catalogue
            qty: how many units to add (at least 1)
        """
        if name not in self.prices:
            raise ValueError(f"no product named {name!r}")
        if qty < 1:
            raise ValueError("qty must be at least 1")
        if self.total is not None:
            raise ValueError("the order is already checked out")
        self.cart[name] = self.cart.get(name, 0) + qty
        return dict(sorted(self.cart.items()))

    def remove_item(self, name: str) -> dict:
        """Take a product out of the cart entirely.

        Args:
            name: product name
        """
        if self.total is not None:
            raise ValueError("the order is already checked out")
        self.cart.pop(name, None)
        return dict(sorted(self.cart.items()))

    def checkout(self) -> str:
        """Place the order for what is in the cart; returns the total to pay."""
        if not self.cart:
            raise ValueError("the cart is empty")
        self.total = round(sum(self.prices[n] * q for n, q in self.cart.items()), 2)
        return f"{self.total:.2f}"

    def score(self, response: str) -> float:
        if self.total is None or self.cart != {"apple": 2, "bread": 1}:
            return 0.0
        return 1.0 if response.strip() == f"{self.total:.2f}" else 0.5
