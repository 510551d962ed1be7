using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.Api.OpenApi;

/// <summary>Marks an action that reads its body itself (a stream, not model binding) as taking a required binary body
/// of <see cref="ContentType"/>, so the OpenAPI document describes it and generated clients can send it.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RawRequestBodyAttribute(string contentType, string description) : Attribute
{
    public string ContentType { get; } = contentType;

    public string Description { get; } = description;
}

/// <summary>Writes the request body of <see cref="RawRequestBodyAttribute"/> actions: <c>type: string, format: binary</c>.</summary>
internal sealed class RawRequestBodyOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var raw = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<RawRequestBodyAttribute>().FirstOrDefault();
        if (raw is null)
        {
            return;
        }

        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = raw.Description,
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                [raw.ContentType] = new OpenApiMediaType
                {
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" },
                },
            },
        };
    }
}
