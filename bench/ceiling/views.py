"""A trivial authenticated endpoint: validate one field, insert one row, answer 201.

It goes through the same stack as a filing (middleware, the REST_FRAMEWORK default
authentication and permission, JSON parsing and rendering), so the filing's cost above
it is the registry's own work.
"""

from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.ceiling.models import Ping


class PingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ping
        fields = ["id", "client_ref", "created_at"]


class CeilingView(APIView):
    def post(self, request: Request) -> Response:
        ping = PingSerializer(data=request.data)
        ping.is_valid(raise_exception=True)
        ping.save(user=request.user)
        return Response(ping.data, status=status.HTTP_201_CREATED)
