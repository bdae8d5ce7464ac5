"""Signed links: one-click unsubscribe in every mail, and a feed a web page can follow."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["Links"]


class Links:
    """Tokens that name a subscriber, signed with the service's link secret.

    They do not expire: an unsubscribe link in a year-old mail must still work. Rotating
    ``SAMVERKAN_LINK_SECRET`` invalidates every link at once.
    """

    def __init__(self, secret: str, base_url: str) -> None:
        self.base_url = base_url
        self._unsubscribe = URLSafeSerializer(secret, salt="unsubscribe")
        self._feed = URLSafeSerializer(secret, salt="feed")

    def unsubscribe_token(self, subscriber_id: str) -> str:
        """The token of a subscriber's unsubscribe link."""
        return str(self._unsubscribe.dumps(subscriber_id))

    def unsubscribe_url(self, subscriber_id: str) -> str:
        """The one-click unsubscribe URL (GET shows a button; POST unsubscribes)."""
        return f"{self.base_url}/unsubscribe?token={self.unsubscribe_token(subscriber_id)}"

    def feed_token(self, subscriber_id: str) -> str:
        """A token that lets a web page read (only) this subscriber's feed."""
        return str(self._feed.dumps(subscriber_id))

    def subscriber_of_unsubscribe(self, token: str) -> str | None:
        """The subscriber an unsubscribe token names, or None if it is not ours."""
        return self._load(self._unsubscribe, token)

    def subscriber_of_feed(self, token: str) -> str | None:
        """The subscriber a feed token names, or None if it is not ours."""
        return self._load(self._feed, token)

    @staticmethod
    def _load(serializer: URLSafeSerializer, token: str) -> str | None:
        try:
            value = serializer.loads(token)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None
