"""The v1 CopilotKit GraphQL contract (runtime-client-gql 1.10.x), served by Strawberry on FastAPI."""
