using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Api;

/// <summary>Every endpoint answers hostile or broken input with a 4xx problem, never a 500 or a hang.</summary>
public sealed class BadInputTests
{
    public static TheoryData<string, string, string, string> BadBodies
    {
        get
        {
            var data = new TheoryData<string, string, string, string>();
            var huge = new string('x', 300);
            var endpoints = new (string Method, string Path)[]
            {
                ("POST", "/api/v1/accounts/me/mailboxes"),
                ("PATCH", "/api/v1/accounts/me/mailboxes/inbox"),
            };
            foreach (var (method, path) in endpoints)
            {
                data.Add(method, path, "{\"name\": ", "validation-failed");
                data.Add(method, path, "not json at all", "validation-failed");
                data.Add(method, path, "[1,2,3]", "validation-failed");
                data.Add(method, path, "{\"name\": \"\"}", "validation-failed");
                data.Add(method, path, "{\"name\": \"   \"}", "validation-failed");
                data.Add(method, path, $"{{\"name\": \"{huge}\"}}", "validation-failed");
                data.Add(method, path, "{\"name\": \"a\\r\\nb\"}", "validation-failed");
                data.Add(method, path, "{\"name\": \"nul\\u0000\"}", "validation-failed");
                data.Add(method, path, "{\"name\": \"a|b\"}", "validation-failed");
                data.Add(method, path, "{\"name\": \"wild*\"}", "validation-failed");
                data.Add(method, path, "{\"name\": \"ok\", \"unknownField\": 1}", "validation-failed");
                data.Add(method, path, "{\"name\": 42}", "validation-failed");
                data.Add(method, path, "{\"name\": \"ok\", \"parentId\": \"../../etc\"}", "validation-failed");
                data.Add(method, path, "{\"name\": \"\\ud800\"}", "validation-failed");
            }

            data.Add("PATCH", "/api/v1/accounts/me/mailboxes/inbox", "{\"subscribed\": \"yes\"}", "validation-failed");
            data.Add("POST", "/api/v1/accounts/me/mailboxes", "{}", "validation-failed");
            data.Add("POST", "/api/v1/accounts/me/mailboxes", "{\"name\": null}", "validation-failed");
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task MailboxWrites_BadBody_Return4xxProblem(string method, string path, string body, string slug)
    {
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

        var response = await client.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, slug);
    }

    public static TheoryData<string> BadSessionBodies => new()
    {
        "{",
        "{}",
        "{\"username\": \"u\"}",
        "{\"username\": \"\", \"password\": \"p\"}",
        "{\"username\": \"u\", \"password\": \"p\", \"accessToken\": \"t\"}",
        "{\"username\": \"u\\r\\nA1 LOGOUT\", \"password\": \"p\"}",
        "{\"username\": \"u\", \"password\": \"p\\r\\nA1 LOGOUT\"}",
        "{\"username\": \"u\", \"password\": \"p\", \"extra\": true}",
        "{\"username\": 5, \"password\": \"p\"}",
        "{\"username\": \"u\", \"password\": \"\"}",
    };

    [Theory]
    [MemberData(nameof(BadSessionBodies))]
    public async Task CreateSession_BadBody_Returns400Problem(string body)
    {
        await using var app = new GatewayApplication();
        var response = await app.CreateClient().PostAsync("/api/v1/sessions", new StringContent(body, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");
    }

    [Fact]
    public async Task CreateSession_WrongContentType_Returns415Problem()
    {
        await using var app = new GatewayApplication();
        var response = await app.CreateClient().PostAsync("/api/v1/sessions", new StringContent("username=u&password=p", Encoding.UTF8, "application/x-www-form-urlencoded"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Fact]
    public async Task CreateSession_HugeBody_Returns413Problem()
    {
        await using var app = new GatewayApplication();
        var body = "{\"username\": \"u\", \"password\": \"" + new string('p', 200_000) + "\"}";
        var response = await app.CreateClient().PostAsync("/api/v1/sessions", new StringContent(body, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
    }

    [Fact]
    public async Task UnknownRouteAndWrongMethod_ReturnProblems()
    {
        await using var app = new GatewayApplication();
        var (client, _, _) = await app.LoginAsync();

        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await client.PutAsync("/api/v1/accounts/me/mailboxes", new StringContent("{}", Encoding.UTF8, "application/json")), HttpStatusCode.MethodNotAllowed, "method-not-allowed");
    }
}
