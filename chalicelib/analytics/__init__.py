"""Platform analytics: daily aggregates kept from events, the admin analytics and the exports."""
