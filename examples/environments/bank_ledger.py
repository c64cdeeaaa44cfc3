class Env:
    """A small bank ledger in integer cents: balances, transfers and a history per account."""

    def reset(self, seed: int) -> str:
        self.balances = {"checking": 48_000 + 1_000 * (seed % 7), "savings": 150_000, "landlord": 0}
        self.history = []
        return "Accounts: checking, savings, landlord. Amounts are in cents."

    def balance(self, account: str) -> int:
        """The balance of an account, in cents.

        Args:
            account: account name
        """
        if account not in self.balances:
            raise KeyError(f"no account {account!r}")
        return self.balances[account]

    def transfer(self, source: str, target: str, cents: int) -> dict:
        """Move money between accounts; refused when the source would go negative.

        Args:
            source: account to debit
            target: account to credit
            cents: amount in cents, positive
        """
        if source not in self.balances or target not in self.balances:
            raise KeyError("unknown account")
        if cents <= 0:
            raise ValueError("the amount must be positive")
        if self.balances[source] < cents:
            raise ValueError("insufficient funds")
        self.balances[source] -= cents
        self.balances[target] += cents
        self.history.append({"source": source, "target": target, "cents": cents})
        return {"source": self.balances[source], "target": self.balances[target]}

    def score(self, response: str) -> float:
        rent = [h for h in self.history if h["target"] == "landlord"]
        if len(rent) != 1 or rent[0]["source"] != "checking" or rent[0]["cents"] != 120_000 \
                or self.balances["landlord"] != 120_000:
            return 0.0
        if self.balances["checking"] < 10_000:
            return 0.0
        return 1.0 if response.strip() == str(self.balances["checking"]) else 0.5
