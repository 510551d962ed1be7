using Gateway.Tests.Infrastructure;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Gateway.Tests.Append;

public sealed class AppendOpenApiTests
{
    [Fact]
    public async Task SwaggerJson_AppendMessage_TakesBinaryRfc822Body_IdempotencyKeyHeader_AndListsItsProblems()
    {
        await using var app = new GatewayApplication();
        await using var stream = await app.CreateClient().GetStreamAsync("/swagger/v1/swagger.json");
        var (document, diagnostic) = await OpenApiDocument.LoadAsync(stream, "json");
        Assert.Empty(diagnostic?.Errors ?? []);

        var operation = document!.Paths!["/api/v1/accounts/{accountId}/mailboxes/{mailboxId}/messages"].Operations![HttpMethod.Post];
        Assert.Equal("appendMessage", operation.OperationId);
        Assert.False(string.IsNullOrEmpty(operation.Summary));
        Assert.True(operation.RequestBody!.Required);
        var body = Assert.Single(operation.RequestBody.Content!);
        Assert.Equal("message/rfc822", body.Key);
        Assert.Equal(JsonSchemaType.String, body.Value.Schema!.Type);
        Assert.Equal("binary", body.Value.Schema.Format);
        Assert.Contains(operation.Parameters!, p => p.Name == "Idempotency-Key" && p.In == ParameterLocation.Header);
        Assert.Contains(operation.Parameters!, p => p.Name == "seen" && p.In == ParameterLocation.Query);
        Assert.True(operation.Responses!["201"].Content!.ContainsKey("application/json"));
        foreach (var status in new[] { "400", "401", "404", "409", "413", "415", "422", "503", "507" })
        {
            Assert.True(operation.Responses[status].Content!.ContainsKey("application/problem+json"), status);
        }
    }
}
